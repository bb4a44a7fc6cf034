/**
 * The IMAP source against Courier-IMAP, a server that assumes only RFC 3501: its SELECT has no
 * `OK [UIDNEXT n]`, and it has no CONDSTORE, QRESYNC, LIST-STATUS or SPECIAL-USE.
 */

import { chownSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionProfile } from "@mailreg/core";
import { attachCourier, generateMessages, MAIL_UID } from "@mailreg/mailservers";
import { ImapFlow } from "imapflow";
import { describe, expect, inject, it } from "vitest";
import { LineClient } from "../../../tools/mailservers/test/line-client.ts";
import { selectFolders } from "./folder-policy.ts";
import { BULK_MIN_MESSAGES, imapSource } from "./imap-source.ts";
import type { FetchContext, SavedFolderState, Source, SourceEvent } from "./source.ts";

const courier = attachCourier(inject("mailservers").courier);
let _counter = 0;

function freshUser(): { user: string; password: string } {
  const user = `cs-${process.pid}-${++_counter}-${Math.random().toString(36).slice(2, 7)}`;
  return courier.addUser(user, `pw-${user}`);
}

function profileOf(user: { user: string; password: string }): ConnectionProfile {
  return {
    v: 1,
    address: `${user.user}@example.test`,
    protocol: "imap",
    host: courier.host,
    port: courier.imapPort,
    security: "none",
    login: user.user,
    auth: { method: "password", password: user.password },
  };
}

async function owner(user: { user: string; password: string }): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: courier.host,
    port: courier.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  await client.connect();
  return client;
}

function message(n: number): string {
  return `From: a@example.test\r\nTo: b@example.test\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example.test>\r\n\r\nbody ${n}\r\n`;
}

const context: FetchContext = { isStored: async (keys) => keys.map(() => false) };

/** One fetchNew of INBOX: its events, with message sources read. */
async function run(
  source: Source,
  since: SavedFolderState | undefined,
): Promise<{ events: SourceEvent[]; subjects: string[]; checkpoint: SavedFolderState | undefined }> {
  const events: SourceEvent[] = [];
  const subjects: string[] = [];
  let checkpoint: SavedFolderState | undefined;
  for await (const event of source.fetchNew("INBOX", since, context)) {
    events.push(event);
    if (event.type === "message") {
      const chunks: Uint8Array[] = [];
      for await (const chunk of event.message.source) chunks.push(chunk);
      subjects.push(/Subject: (.*)\r\n/.exec(Buffer.concat(chunks).toString("latin1"))?.[1] ?? "?");
    }
    if (event.type === "checkpoint") checkpoint = event.state;
  }
  return { events, subjects, checkpoint };
}

describe("imapSource() on Courier-IMAP (no UIDNEXT on SELECT, no CONDSTORE)", () => {
  it("collects everything on the first run and only the new mail on the next, with numeric checkpoints", async () => {
    const user = freshUser();
    const client = await owner(user);
    for (const n of [1, 2, 3]) await client.append("INBOX", message(n));
    expect((await client.mailboxOpen("INBOX")).uidNext).toBeUndefined(); // the premise

    const source = await imapSource(profileOf(user), { timeoutMs: 10_000 });
    try {
      const first = await run(source, undefined);
      expect(first.subjects).toEqual(["message 1", "message 2", "message 3"]);
      expect(first.checkpoint).toEqual({ uidValidity: expect.any(Number), lastUid: 3 });
      const status = first.events.find((e) => e.type === "status");
      expect(status).toMatchObject({ status: { uidNext: 4, exists: 3 }, expected: 3 });

      const idle = await run(source, first.checkpoint);
      expect(idle.subjects).toEqual([]);
      expect(idle.checkpoint).toEqual(first.checkpoint);

      for (const n of [4, 5]) await client.append("INBOX", message(n));
      const next = await run(source, first.checkpoint);
      expect(next.subjects).toEqual(["message 4", "message 5"]);
      expect(next.checkpoint).toMatchObject({ lastUid: 5 });
      expect(Number.isSafeInteger(next.checkpoint?.uidValidity)).toBe(true);
    } finally {
      await source.close();
      await client.logout();
    }
  });

  it("finds a flag change without CONDSTORE (flag scan) and reports the unchanged ones as they are", async () => {
    const user = freshUser();
    const client = await owner(user);
    for (const n of [1, 2, 3, 4]) await client.append("INBOX", message(n));
    const source = await imapSource(profileOf(user), { timeoutMs: 10_000 });
    try {
      const first = await run(source, undefined);
      expect(first.subjects).toHaveLength(4);
      await client.mailboxOpen("INBOX");
      await client.messageFlagsAdd("2", ["\\Flagged"], { uid: true });

      const second = await run(source, first.checkpoint);
      const flags = new Map(
        second.events.flatMap((e) =>
          e.type === "flags" && "uid" in e.key ? [[e.key.uid, [...e.flags].sort()] as const] : [],
        ),
      );
      expect(flags.get(2)).toEqual(["\\Flagged"]);
      expect(flags.get(1)).toEqual([]);
      expect(second.subjects).toEqual([]);
      expect(second.checkpoint).toEqual(first.checkpoint);
    } finally {
      await source.close();
      await client.logout();
    }
  });

  it("lists with '.' as the delimiter, and a special use only as a guess from the name", async () => {
    const user = freshUser();
    const client = await owner(user);
    await client.mailboxCreate("INBOX.Entwürfe");
    await client.logout();
    const source = await imapSource(profileOf(user), { timeoutMs: 10_000 });
    try {
      const folders = await source.listFolders();
      expect(folders.map((f) => [f.path, f.delimiter])).toEqual([
        ["INBOX", "."],
        ["INBOX.Entwürfe", "."],
      ]);
      expect(folders[1]).toMatchObject({ specialUse: "\\Drafts", specialUseGuessed: true });
      expect(folders.every((f) => f.status === undefined && f.namespace === undefined)).toBe(true);
      // so an exclusion of \Drafts leaves it collected
      const chosen = selectFolders(folders, {
        mode: "all",
        folders: [],
        includeSubfolders: true,
        exclude: ["\\Drafts"],
      });
      expect(chosen.map((f) => f.path)).toEqual(["INBOX", "INBOX.Entwürfe"]);
    } finally {
      await source.close();
    }
  });

  it("does not collect a folder another user shared with the owner (policy all)", async () => {
    const sharer = freshUser();
    const reader = freshUser();
    const client = await owner(sharer);
    await client.mailboxCreate("INBOX.Team");
    await client.append("INBOX.Team", message(1));
    await client.logout();
    // imapflow has no SETACL: Courier's own command, over a plain connection
    const lines = await LineClient.open(courier.host, courier.imapPort);
    await lines.readLine();
    lines.send(`a LOGIN ${sharer.user} ${sharer.password}`);
    await lines.readUntil(/^a /);
    lines.send(`s SETACL INBOX.Team ${reader.user} lr`);
    expect((await lines.readUntil(/^s /)).at(-1)).toMatch(/^s OK/);
    lines.send(`l LIST "" "#shared.*"`); // the sharer does not see it; the reader will
    await lines.readUntil(/^l /);
    lines.close();

    const source = await imapSource(profileOf(reader), { timeoutMs: 10_000 });
    try {
      const chosen = selectFolders(await source.listFolders(), {
        mode: "all",
        folders: [],
        includeSubfolders: true,
        exclude: [],
      });
      expect(chosen.map((f) => f.path)).toEqual(["INBOX"]);
    } finally {
      await source.close();
    }
  });

  it("takes a large backlog through the bulk connection without UIDNEXT, every message once and whole", async () => {
    const user = freshUser();
    const messages = [...generateMessages({ count: BULK_MIN_MESSAGES + 200, seed: 17 })];
    // straight into Courier's maildir (it gives them UIDs at the next SELECT), LF line ends as on disk
    const cur = join(courier.maildirOf(user.user), "cur");
    messages.forEach((m, i) => {
      const file = join(cur, `${1_700_000_000 + i}.M${i}P${process.pid}.mailreg:2,`);
      writeFileSync(file, m.raw.replaceAll("\r\n", "\n"));
      chownSync(file, MAIL_UID, MAIL_UID);
    });
    const source = await imapSource(profileOf(user), { timeoutMs: 20_000 });
    try {
      const ids: string[] = [];
      let status: SourceEvent | undefined;
      let checkpoint: SavedFolderState | undefined;
      for await (const event of source.fetchNew("INBOX", undefined, context)) {
        if (event.type === "status") status = event;
        if (event.type === "checkpoint") checkpoint = event.state;
        if (event.type !== "message") continue;
        const chunks: Uint8Array[] = [];
        for await (const chunk of event.message.source) chunks.push(chunk);
        const text = Buffer.concat(chunks).toString("utf8");
        ids.push(/^Message-ID: (.*)\r$/im.exec(text)?.[1] ?? "?");
      }
      expect(status).toMatchObject({ expected: messages.length, status: { exists: messages.length } });
      expect(ids.sort()).toEqual(messages.map((m) => m.messageId).sort());
      expect(checkpoint).toMatchObject({ lastUid: messages.length });
      // two logins of this user in Courier's log: the source's connection and the bulk one
      const log = readFileSync(join(courier.dir, "courier.log"), "utf8");
      expect(log.split("\n").filter((l) => l.includes(`LOGIN, user=${user.user},`))).toHaveLength(2);
    } finally {
      await source.close();
    }
  });

  it("moves without MOVE (COPY, then delete) and deletes by UID, touching only the keys given", async () => {
    const user = freshUser();
    const client = await owner(user);
    for (const n of [1, 2, 3, 4]) await client.append("INBOX", message(n));
    await client.mailboxCreate("INBOX.Archiv");
    const source = await imapSource(profileOf(user), { timeoutMs: 10_000 });
    try {
      const first = await run(source, undefined);
      const uidValidity = first.checkpoint?.uidValidity ?? 0;
      expect(await source.move?.("INBOX", [{ uidValidity, uid: 2 }], "INBOX.Archiv")).toBe(1);
      expect(
        await source.delete("INBOX", [
          { uidValidity, uid: 3 },
          { uidValidity: uidValidity + 1, uid: 4 },
        ]),
      ).toBe(1);
    } finally {
      await source.close();
    }
    const subjects = async (folder: string) => {
      await client.mailboxOpen(folder);
      const out: string[] = [];
      for await (const m of client.fetch("1:*", { envelope: true })) out.push(m.envelope?.subject ?? "?");
      return out;
    };
    expect(await subjects("INBOX")).toEqual(["message 1", "message 4"]);
    expect(await subjects("INBOX.Archiv")).toEqual(["message 2"]);
    await client.logout();
  });
});
