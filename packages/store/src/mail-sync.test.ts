import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import {
  commitMessageChunk,
  countMessages,
  deleteDeadLetter,
  findMessagesByUid,
  findMessagesUnderOtherUidvalidity,
  findStoredUidls,
  finishSyncRun,
  hasMessagesUnderOtherUidvalidity,
  listDeadLetters,
  listFolderStates,
  listSyncRuns,
  openChunkWriter,
  startSyncRun,
} from "./mail-sync.ts";
import { getMessage } from "./mod.ts";
import { openStore, type Store } from "./store.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";

async function withMailbox(url?: string): Promise<{ store: Store; mailboxId: string }> {
  const store = url === undefined ? await openMemoryStore() : await openStore({ url });
  return { store, mailboxId: await insertTestMailbox(store) };
}

const row = (mailboxId: string, uid: number, extra: Record<string, unknown> = {}) => ({
  id: newId(),
  mailboxId,
  folder: "INBOX",
  uidvalidity: 7,
  uid,
  contentHash: `${"0".repeat(63)}${uid % 10}`,
  messageId: `m${uid}@x`,
  size: 3,
  flags: ["\\Seen"],
  envelope: { subject: `s${uid}` },
  raw: new TextEncoder().encode(`m${uid}`),
  storedAt: new Date().toISOString(),
  ...extra,
});

describe("commitMessageChunk()", () => {
  it("stores a key once however often the same chunk is committed, with the folder state alongside", async () => {
    const { store, mailboxId } = await withMailbox();
    const state = {
      mailboxId,
      folder: "INBOX",
      delimiter: "/",
      uidvalidity: 7,
      lastUid: 2,
      highestModseq: "99",
      specialUse: null,
    };
    const inserts = [row(mailboxId, 1), row(mailboxId, 2)];
    await commitMessageChunk(store, { inserts, folderState: state });
    await commitMessageChunk(store, {
      inserts: inserts.map((r) => ({ ...r, id: newId() })),
      folderState: state,
    });
    expect(await countMessages(store, mailboxId)).toBe(2);
    expect(await listFolderStates(store, mailboxId)).toMatchObject([
      { folder: "INBOX", uidvalidity: 7, lastUid: 2, highestModseq: "99" },
    ]);
    const found = await findMessagesByUid(store, { mailboxId, folder: "INBOX", uidvalidity: 7 }, [1, 2, 3]);
    expect(found.map((f) => [f.uid, f.flags])).toEqual([
      [1, ["\\Seen"]],
      [2, ["\\Seen"]],
    ]);
    store.close();
  });

  it("commits nothing of a chunk whose dead letter names a mailbox that does not exist", async () => {
    const { store, mailboxId } = await withMailbox();
    const bad = {
      mailboxId: "no-such-mailbox",
      messageRowId: null,
      sink: "webhook:x",
      event: "message.stored",
      payload: {},
      attempts: 1,
      lastError: "x",
    };
    await expect(
      commitMessageChunk(store, { inserts: [row(mailboxId, 1)], deadLetters: [bad] }),
    ).rejects.toThrow();
    expect(await countMessages(store, mailboxId)).toBe(0);
    store.close();
  });

  it("re-keys a message found again under a new UIDVALIDITY and updates flags", async () => {
    const { store, mailboxId } = await withMailbox();
    const first = row(mailboxId, 5);
    await commitMessageChunk(store, { inserts: [first] });
    const scope = { mailboxId, folder: "INBOX", uidvalidity: 8 };
    expect(await hasMessagesUnderOtherUidvalidity(store, scope)).toBe(true);
    const [candidate] = await findMessagesUnderOtherUidvalidity(store, scope, [first.contentHash]);
    expect(candidate).toMatchObject({ id: first.id, messageId: "m5@x" });
    await commitMessageChunk(store, {
      rekeys: [{ id: first.id, uidvalidity: 8, uid: 1, flags: ["\\Flagged"] }],
    });
    expect(await hasMessagesUnderOtherUidvalidity(store, scope)).toBe(false);
    await commitMessageChunk(store, { flagUpdates: [{ id: first.id, flags: [] }] });
    expect(await findMessagesByUid(store, scope, [1])).toEqual([{ id: first.id, uid: 1, flags: [] }]);
    store.close();
  });

  it("keeps POP3 messages by UIDL and dead letters until they are dropped", async () => {
    const { store, mailboxId } = await withMailbox();
    const pop = row(mailboxId, 0, { uidvalidity: null, uid: null, uidl: "UID-1" });
    await commitMessageChunk(store, {
      inserts: [pop],
      deadLetters: [
        {
          mailboxId,
          messageRowId: pop.id,
          sink: "webhook:x",
          event: "message.stored",
          payload: { a: 1 },
          attempts: 5,
          lastError: "HTTP 500",
        },
      ],
    });
    expect([...(await findStoredUidls(store, mailboxId, ["UID-1", "UID-2"]))]).toEqual(["UID-1"]);
    const [letter] = await listDeadLetters(store, { mailboxId });
    expect(letter).toMatchObject({ messageRowId: pop.id, payload: { a: 1 }, attempts: 5 });
    expect(await deleteDeadLetter(store, letter!.id)).toBe(true);
    expect(await listDeadLetters(store)).toEqual([]);
    store.close();
  });
});

describe("openChunkWriter()", () => {
  const state = (mailboxId: string, lastUid: number) => ({
    mailboxId,
    folder: "INBOX",
    delimiter: "/",
    uidvalidity: 7,
    lastUid,
    highestModseq: null,
    specialUse: null,
  });
  const bigRaw = (uid: number) => new Uint8Array(5000 + uid).map((_, i) => (i * 31 + uid) & 0xff);

  for (const where of ["file", "memory"] as const) {
    it(`commits chunks queued without waiting in order, byte for byte, on a ${where} database`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "mailreg-chunk-writer-"));
      const { store, mailboxId } = await withMailbox(
        where === "file" ? `file:${join(dir, "w.db")}` : undefined,
      );
      const writer = openChunkWriter(store);
      expect(await writer.threaded).toBe(where === "file");
      const chunks = [1, 2, 3].map((n) => [
        row(mailboxId, n * 2 - 1),
        row(mailboxId, n * 2, { raw: bigRaw(n) }),
      ]);
      const commits = chunks.map((inserts, i) =>
        writer.commit({ inserts, folderState: state(mailboxId, i * 2 + 2) }),
      );
      // a write of the store itself queues behind them instead of waiting on a lock
      const run = startSyncRun(store, mailboxId);
      await Promise.all([...commits, run]);
      await writer.close();
      expect(await countMessages(store, mailboxId)).toBe(6);
      expect(await listFolderStates(store, mailboxId)).toMatchObject([{ lastUid: 6 }]);
      for (const inserts of chunks) {
        for (const r of inserts) expect(new Uint8Array((await getMessage(store, r.id))!.raw)).toEqual(r.raw);
      }
      store.close();
      await rm(dir, { recursive: true, force: true });
    });
  }

  it("shares one thread among the writers of a store, and a store opened again starts its own", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailreg-chunk-writer-"));
    const url = `file:${join(dir, "w.db")}`;
    const { store, mailboxId } = await withMailbox(url);
    const first = openChunkWriter(store);
    await first.commit({ inserts: [row(mailboxId, 1)], folderState: state(mailboxId, 1) });
    const id = await first.threadId;
    expect(id).toBeTypeOf("number");
    await first.close();
    // the next run's writer finds the thread started, warm
    const second = openChunkWriter(store);
    expect(await second.threadId).toBe(id);
    await second.commit({ inserts: [row(mailboxId, 2)], folderState: state(mailboxId, 2) });
    await second.close();
    store.close();

    const again = await openStore({ url });
    const third = openChunkWriter(again);
    const otherId = await third.threadId;
    expect(otherId).toBeTypeOf("number");
    expect(otherId).not.toBe(id);
    await third.commit({ inserts: [row(mailboxId, 3)], folderState: state(mailboxId, 3) });
    await third.close();
    expect(await countMessages(again, mailboxId)).toBe(3);
    again.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("commits on the calling thread when its thread cannot open the database", async () => {
    const { store, mailboxId } = await withMailbox();
    // the same store, as if it lived at a path no other connection can open
    const elsewhere: Store = { ...store, url: "file:/no/such/folder/mailreg.db" };
    const writer = openChunkWriter(elsewhere);
    await writer.commit({ inserts: [row(mailboxId, 1)], folderState: state(mailboxId, 1) });
    expect(await writer.threaded).toBe(false);
    await writer.close();
    expect(await countMessages(store, mailboxId)).toBe(1);
    store.close();
  });

  it("commits nothing of a failing chunk, says why, and goes on with the next", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailreg-chunk-writer-"));
    const { store, mailboxId } = await withMailbox(`file:${join(dir, "w.db")}`);
    const writer = openChunkWriter(store);
    const bad = {
      mailboxId: "no-such-mailbox",
      messageRowId: null,
      sink: "webhook:x",
      event: "message.stored",
      payload: {},
      attempts: 1,
      lastError: "x",
    };
    const failing = writer.commit({
      inserts: [row(mailboxId, 1)],
      deadLetters: [bad],
      folderState: state(mailboxId, 1),
    });
    const next = writer.commit({ inserts: [row(mailboxId, 2)], folderState: state(mailboxId, 2) });
    await expect(failing).rejects.toThrow(/FOREIGN KEY/);
    await next;
    await writer.close();
    expect(
      (await findMessagesByUid(store, { mailboxId, folder: "INBOX", uidvalidity: 7 }, [1, 2])).map(
        (m) => m.uid,
      ),
    ).toEqual([2]);
    store.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe("sync runs", () => {
  it("records a run from start to its end with counts and error", async () => {
    const { store, mailboxId } = await withMailbox();
    const id = await startSyncRun(store, mailboxId);
    expect((await listSyncRuns(store, mailboxId))[0]).toMatchObject({ id, status: "running" });
    await finishSyncRun(store, id, {
      status: "failed",
      fetched: 3,
      deleted: 1,
      errorCode: "MAIL_AUTH_FAILED",
      errorMessage: "refused",
    });
    expect((await listSyncRuns(store, mailboxId))[0]).toMatchObject({
      status: "failed",
      fetched: 3,
      deleted: 1,
      errorCode: "MAIL_AUTH_FAILED",
    });
    store.close();
  });
});
