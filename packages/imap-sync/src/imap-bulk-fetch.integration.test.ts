import { createHash } from "node:crypto";
import { generateMessages, seedMaildir } from "@mailreg/mailservers";
import { describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, testWorld, trustTest } from "./_test-servers.ts";
import { openBulkConnection } from "./imap-bulk-fetch.ts";
import { connectImap } from "./imap-connect.ts";
import { BULK_MIN_MESSAGES } from "./imap-source.ts";
import { syncMailbox } from "./sync-mailbox.ts";

// The bulk connection against the real Dovecot (STARTTLS, AUTHENTICATE PLAIN): what it reads must be
// exactly what imapflow reads.
const dovecot = inject("mailservers").dovecot;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

describe("the bulk connection of the IMAP source", () => {
  it("reads every message byte for byte, with its flags and INTERNALDATE, as imapflow does", async () => {
    const user = freshUser(dovecot, "bulk");
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generateMessages({ count: 60, seed: 77 }));
    const profile = profileFor(dovecot, user);
    const client = await connectImap(profile, trustTest(dovecot));
    const opened = await client.mailboxOpen("INBOX", { readOnly: true });
    const viaImapflow: { uid: number; flags: string[]; date: number; hash: string }[] = [];
    for await (const m of client.fetch("1:*", { uid: true, flags: true, internalDate: true, source: true })) {
      viaImapflow.push({
        uid: m.uid,
        flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort(),
        date: new Date(m.internalDate ?? 0).getTime(),
        hash: sha256(m.source!),
      });
    }
    await client.logout();

    const bulk = await openBulkConnection(profile, trustTest(dovecot));
    expect(bulk).toBeDefined();
    const messages = await bulk!.fetch("INBOX", Number(opened.uidValidity), 1);
    expect(messages).toBeDefined();
    const viaBulk: typeof viaImapflow = [];
    for await (const m of messages!) {
      viaBulk.push({
        uid: m.uid,
        flags: [...m.flags].sort(),
        date: m.internalDate?.getTime() ?? 0,
        hash: sha256(m.source),
      });
    }
    expect(viaBulk).toHaveLength(60);
    expect(viaBulk).toEqual(viaImapflow);
    // from a UID on, and the connection serves a second FETCH
    const again = await bulk!.fetch("INBOX", Number(opened.uidValidity), 41);
    const uids: number[] = [];
    for await (const m of again!) uids.push(m.uid);
    expect(uids).toEqual(viaImapflow.slice(40).map((m) => m.uid));
    await bulk!.close();
  });

  it("declines (and imapflow is used) for another UIDVALIDITY, a name it would have to encode, or a refused login", async () => {
    const user = freshUser(dovecot, "bulk");
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generateMessages({ count: 3, seed: 78 }));
    const bulk = await openBulkConnection(profileFor(dovecot, user), trustTest(dovecot));
    expect(await bulk!.fetch("INBOX", 1, 1)).toBeUndefined();
    expect(await bulk!.fetch("Entwürfe", 1, 1)).toBeUndefined();
    await bulk!.close();
    const wrong = await openBulkConnection(
      profileFor(dovecot, { ...user, password: "wrong" }),
      trustTest(dovecot),
    );
    expect(wrong).toBeUndefined();
  });

  it(`collects a backlog of more than ${BULK_MIN_MESSAGES} messages through it: every message once, byte for byte, flags and date kept`, async () => {
    const user = freshUser(dovecot, "bulk");
    const generated = [...generateMessages({ count: BULK_MIN_MESSAGES + 150, seed: 79 })];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generated);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const,
    };
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: generated.length });
    const rows = world.state.messages(mailbox.id);
    const byId = new Map(rows.map((r) => [`<${r.messageId}>`, r]));
    expect(byId.size).toBe(generated.length);
    for (const g of generated) {
      const row = byId.get(g.messageId);
      expect(row, g.messageId).toBeDefined();
      expect(sha256(row!.raw!)).toBe(sha256(g.raw));
      expect([...row!.flags].sort()).toEqual([...g.flags].sort());
      expect(Math.floor(row!.internalDate!.getTime() / 1000)).toBe(
        Math.floor(g.internalDate.getTime() / 1000),
      );
    }
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0 });
  });
});
