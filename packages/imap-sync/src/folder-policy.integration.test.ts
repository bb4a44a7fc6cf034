import type { FolderPolicy } from "@mailreg/core";
import {
  type DovecotHandle,
  type DovecotInfo,
  generateMessages,
  seedMaildir,
  startDovecot,
} from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, storedByFolder, testWorld, trustTest } from "./_test-servers.ts";
import { syncMailbox } from "./sync-mailbox.ts";

/** A nested tree like the one in Intrexx's manual, written with '/'; Dovecot adds Sent, Trash, Drafts, Junk, Archive. */
const TREE = [
  "Firma",
  "Firma/Kundenbetreuung",
  "Firma/Kundenbetreuung/kunden",
  "Firma/Kundenbetreuung/kunden/a",
  "Firma/Kundenbetreuung/kunden/b",
  "Firma/Vertrieb",
  "Newsletter",
  "Newsletter/IBM",
  "Newsletter/VMware",
  "RSS-Feeds",
  "RSS-Feeds/Tagesschau",
];
const SPECIAL = ["Archive", "Drafts", "Junk", "Sent", "Trash"];
const ALL = ["INBOX", ...SPECIAL, ...TREE];
const UNSUBSCRIBED = ["Newsletter/IBM", "RSS-Feeds", "RSS-Feeds/Tagesschau"];

const policy = (p: Partial<FolderPolicy>): FolderPolicy => ({
  mode: "inbox",
  folders: [],
  includeSubfolders: true,
  exclude: [],
  ...p,
});

/** Each case: the policy (names written with '/'), and the folders it must collect (written with '/'). */
const CASES: [string, FolderPolicy, string[]][] = [
  ["INBOX only", policy({ mode: "inbox" }), ["INBOX"]],
  ["all folders", policy({ mode: "all" }), ALL],
  ["subscribed folders", policy({ mode: "subscribed" }), ALL.filter((f) => !UNSUBSCRIBED.includes(f))],
  [
    "selected folders with their subfolders",
    policy({ mode: "selected", folders: ["Firma/Kundenbetreuung", "Newsletter"] }),
    [
      "Firma/Kundenbetreuung",
      "Firma/Kundenbetreuung/kunden",
      "Firma/Kundenbetreuung/kunden/a",
      "Firma/Kundenbetreuung/kunden/b",
      "Newsletter",
      "Newsletter/IBM",
      "Newsletter/VMware",
    ],
  ],
  [
    "selected folders without subfolders",
    policy({
      mode: "selected",
      folders: ["inbox", "Firma/Kundenbetreuung", "Newsletter"],
      includeSubfolders: false,
    }),
    ["INBOX", "Firma/Kundenbetreuung", "Newsletter"],
  ],
  [
    "all folders minus exclusions (a subtree and two special uses)",
    policy({ mode: "all", exclude: ["Newsletter", "\\Junk", "\\Trash", "Firma/Kundenbetreuung/kunden"] }),
    ALL.filter(
      (f) =>
        !f.startsWith("Newsletter") &&
        f !== "Junk" &&
        f !== "Trash" &&
        !f.startsWith("Firma/Kundenbetreuung/kunden"),
    ),
  ],
];

let dotServer: DovecotHandle;
beforeAll(async () => {
  dotServer = await startDovecot({ separator: "." });
});
afterAll(async () => {
  await dotServer?.stop();
});

async function seedTree(info: DovecotInfo): Promise<{ user: string; password: string }> {
  const user = freshUser(info, "tree");
  const target = seedTarget(info);
  let seed = 1000;
  for (const folder of ALL) {
    const path = folder.replaceAll("/", info.separator);
    await seedMaildir(target, user.user, path, generateMessages({ count: 1, seed: seed++ }));
  }
  for (const folder of UNSUBSCRIBED) {
    await target.doveadm(["mailbox", "unsubscribe", "-u", user.user, folder.replaceAll("/", info.separator)]);
  }
  await target.doveadm(["mailbox", "subscribe", "-u", user.user, "INBOX"]);
  return user;
}

for (const separator of ["/", "."] as const) {
  describe(`folder policies on a nested tree with delimiter '${separator}'`, () => {
    let info: DovecotInfo;
    let user: { user: string; password: string };
    beforeAll(async () => {
      info = separator === "/" ? inject("mailservers").dovecot : dotServer;
      user = await seedTree(info);
    });

    for (const [name, folderPolicy, expected] of CASES) {
      it(`${name} collects exactly the folders it names`, async () => {
        const world = await testWorld();
        const mailbox = await world.addMailbox(profileFor(info, user));
        const run = await syncMailbox(mailbox, {
          state: world.state,
          keyring: world.keyring,
          connect: trustTest(info),
          folderPolicy,
        });
        expect(run.status).toBe("ok");
        const want = expected.map((f) => f.replaceAll("/", separator)).sort();
        expect(run.folders.map((f) => f.path).sort()).toEqual(want);
        const stored = storedByFolder(world.state, mailbox.id);
        expect([...stored.keys()].sort()).toEqual(want);
        for (const list of stored.values()) expect(list).toHaveLength(1);
      });
    }

    it("detects the special-use folders and lets an explicit override win", async () => {
      const world = await testWorld();
      const mailbox = await world.addMailbox(profileFor(info, user));
      const run = await syncMailbox(mailbox, {
        state: world.state,
        keyring: world.keyring,
        connect: trustTest(info),
        folderPolicy: policy({ mode: "all", exclude: ["\\Trash"] }),
        specialUse: { "\\Trash": `RSS-Feeds${separator}Tagesschau` },
      });
      const uses = Object.fromEntries(
        run.folders.filter((f) => f.specialUse !== undefined).map((f) => [f.path, f.specialUse]),
      );
      expect(uses).toMatchObject({
        Sent: "\\Sent",
        Drafts: "\\Drafts",
        Junk: "\\Junk",
        Archive: "\\Archive",
      });
      expect(run.folders.map((f) => f.path)).toContain("Trash");
      expect(run.folders.map((f) => f.path)).not.toContain(`RSS-Feeds${separator}Tagesschau`);
    });
  });
}
