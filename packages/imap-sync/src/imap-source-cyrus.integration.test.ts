/**
 * The IMAP source against Cyrus IMAP, whose other users' folders are listed with the owner's own
 * (`Other Users/<owner>/…`, RFC 2342 "other users" namespace): they are marked and not collected
 * unless the policy names them.
 */
import type { ConnectionProfile } from "@mailreg/core";
import { attachCyrus } from "@mailreg/mailservers";
import { describe, expect, inject, it } from "vitest";
import { LineClient } from "../../../tools/mailservers/test/line-client.ts";
import { selectFolders } from "./folder-policy.ts";
import { imapSource } from "./imap-source.ts";

const cyrus = attachCyrus(inject("mailservers").cyrus);
let _counter = 0;

function freshUser(): { user: string; password: string } {
  const user = `cy-${process.pid}-${++_counter}-${Math.random().toString(36).slice(2, 7)}`;
  return cyrus.addUser(user, `pw-${user}`);
}

function profileOf(user: { user: string; password: string }): ConnectionProfile {
  return {
    v: 1,
    address: `${user.user}@example.test`,
    protocol: "imap",
    host: cyrus.host,
    port: cyrus.imapPort,
    security: "none",
    login: user.user,
    auth: { method: "password", password: user.password },
  };
}

/** Runs IMAP commands as `user` over a plain connection (imapflow has no SETACL). */
async function commands(user: { user: string; password: string }, lines: string[]): Promise<void> {
  const client = await LineClient.open(cyrus.host, cyrus.imapPort);
  try {
    await client.readLine();
    for (const [i, line] of [`LOGIN ${user.user} ${user.password}`, ...lines].entries()) {
      client.send(`t${i} ${line}`);
      expect((await client.readUntil(new RegExp(`^t${i} `))).at(-1), line).toMatch(new RegExp(`^t${i} OK`));
    }
  } finally {
    client.close();
  }
}

describe("imapSource() on Cyrus IMAP (other users' folders in the LIST)", () => {
  it("marks a folder shared by another user and leaves it out of policy all; a selected policy naming it takes it", async () => {
    const sharer = freshUser();
    const reader = freshUser();
    await commands(reader, ["NOOP"]); // first login: INBOX and Sent are created
    await commands(sharer, ["CREATE Team", `SETACL Team ${reader.user} lrs`]);

    const source = await imapSource(profileOf(reader), { timeoutMs: 10_000 });
    try {
      const folders = await source.listFolders();
      const shared = folders.find((f) => f.path === `Other Users/${sharer.user}/Team`);
      expect(shared).toMatchObject({ namespace: "other", delimiter: "/" });
      expect(folders.find((f) => f.path === "INBOX")?.namespace).toBeUndefined();

      const all = selectFolders(folders, { mode: "all", folders: [], includeSubfolders: true, exclude: [] });
      expect(all.map((f) => f.path).sort()).toEqual(["INBOX", "Sent"]);
      const named = selectFolders(folders, {
        mode: "selected",
        folders: ["INBOX", `Other Users/${sharer.user}/Team`],
        includeSubfolders: true,
        exclude: [],
      });
      expect(named.map((f) => f.path)).toEqual(["INBOX", `Other Users/${sharer.user}/Team`]);
    } finally {
      await source.close();
    }
  });
});
