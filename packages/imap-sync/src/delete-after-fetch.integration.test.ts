import type { Protocol } from "@mailreg/core";
import { type DovecotInfo, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, storedByFolder, testWorld, trustTest } from "./_test-servers.ts";
import { syncMailbox } from "./sync-mailbox.ts";

const dovecot = inject("mailservers").dovecot;
const ids = (list: { messageId: string }[]) => list.map((m) => m.messageId.slice(1, -1)).sort();
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;

/** How many messages a folder holds on the server, per doveadm. */
async function onServer(info: DovecotInfo, user: string, folder: string): Promise<number> {
  const out = await seedTarget(info).doveadm(["mailbox", "status", "-u", user, "messages", folder]);
  return Number(/messages=(\d+)/.exec(out)?.[1] ?? Number.NaN);
}

for (const protocol of ["imap", "pop3"] as const satisfies Protocol[]) {
  const P = protocol.toUpperCase();
  describe(`delete after fetch over ${P}`, () => {
    async function setup(count: number, deleteAfterFetch: boolean, seed: number) {
      const user = freshUser(dovecot, "del");
      const messages = [...generateMessages({ count, seed })];
      await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
      const world = await testWorld();
      const mailbox = await world.addMailbox(profileFor(dovecot, user, protocol), { deleteAfterFetch });
      const options = {
        state: world.state,
        keyring: world.keyring,
        connect: trustTest(dovecot),
        folderPolicy: INBOX_ONLY,
        chunkMessages: 8,
      };
      return { user, messages, world, mailbox, options };
    }

    it(`${P}: leaves the server folder empty and every message collected`, async () => {
      const { user, messages, world, mailbox, options } = await setup(25, true, 501);
      const run = await syncMailbox(mailbox, options);
      expect(run).toMatchObject({ status: "ok", fetched: 25, deleted: 25 });
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
      expect(storedByFolder(world.state, mailbox.id).get("INBOX")).toEqual(ids(messages));
    });

    it(`${P}: leave-on-server leaves the folder untouched and fetches only new mail next time`, async () => {
      const { user, messages, world, mailbox, options } = await setup(12, false, 502);
      expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 12, deleted: 0 });
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(12);
      const more = [...generateMessages({ count: 3, seed: 503 })];
      await seedMaildir(seedTarget(dovecot), user.user, "INBOX", more);
      expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 3, deleted: 0 });
      expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0 });
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(15);
      expect(storedByFolder(world.state, mailbox.id).get("INBOX")).toEqual(ids([...messages, ...more]));
    });

    it(`${P}: the worker-wide override wins over a mailbox that says leave, and removes what earlier runs left`, async () => {
      const { user, messages, world, mailbox, options } = await setup(10, false, 504);
      expect(await syncMailbox(mailbox, options)).toMatchObject({ fetched: 10, deleted: 0 });
      const more = [...generateMessages({ count: 4, seed: 505 })];
      await seedMaildir(seedTarget(dovecot), user.user, "INBOX", more);
      const run = await syncMailbox(mailbox, { ...options, alwaysDeleteAfterFetch: true });
      expect(run).toMatchObject({ status: "ok", fetched: 4, deleted: 14 });
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
      expect(storedByFolder(world.state, mailbox.id).get("INBOX")).toEqual(ids([...messages, ...more]));
    });

    it(`${P}: deletes nothing that is not stored when the run is aborted mid-way`, async () => {
      const { user, world, mailbox, options } = await setup(40, true, 506);
      const controller = new AbortController();
      const run = await syncMailbox(mailbox, {
        ...options,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.fetched >= 16) controller.abort();
        },
      });
      expect(run.aborted).toBe(true);
      const stored = storedByFolder(world.state, mailbox.id).get("INBOX") ?? [];
      expect(run.fetched).toBe(stored.length);
      expect(run.deleted).toBe(stored.length);
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(40 - stored.length);
      const rest = await syncMailbox(mailbox, options);
      expect(run.fetched + rest.fetched).toBe(40);
      expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
    });
  });
}

describe("delete after fetch to Trash over IMAP", () => {
  it("moves stored messages to the Trash folder instead of expunging them, and does not collect Trash", async () => {
    const user = freshUser(dovecot, "trash");
    const messages = [...generateMessages({ count: 6, seed: 507 })];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user), { deleteAfterFetch: true });
    const run = await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: { mode: "all", folders: [], includeSubfolders: true, exclude: [] },
      deleteMode: "trash",
    });
    expect(run).toMatchObject({ status: "ok", fetched: 6, deleted: 6 });
    expect(run.folders.map((f) => f.path)).not.toContain("Trash");
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
    expect(await onServer(dovecot, user.user, "Trash")).toBe(6);
    expect(world.state.messages(mailbox.id).map((m) => m.key.folder)).toEqual(Array(6).fill("INBOX"));
  });
});
