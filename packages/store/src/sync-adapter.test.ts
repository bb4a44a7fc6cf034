import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listAudit } from "./audit.ts";
import { countMessages, listDeadLetters, listFolderStates, listSyncRuns } from "./mail-sync.ts";
import { listMessageSinks } from "./message-routing.ts";
import { takeRerouteRequest } from "./reroute-requests.ts";
import { openStore, type Store } from "./store.ts";
import {
  type SyncChunkMessage,
  type SyncMessageKey,
  storeDeadLetterQueue,
  storeRerouteState,
  storeSyncState,
} from "./sync-adapter.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";

const encoder = new TextEncoder();

/** A collected message as imap-sync's engine hands it over. */
function message(key: SyncMessageKey, text: string, flags: string[] = []): SyncChunkMessage {
  const raw = encoder.encode(`Message-ID: <${text}@example.org>\r\nSubject: ${text}\r\n\r\n${text}`);
  return {
    id: crypto.randomUUID(),
    key,
    raw,
    size: raw.length,
    flags,
    internalDate: new Date("2026-01-02T03:04:05Z"),
    envelope: { messageId: `${text}@example.org`, subject: text } as { messageId?: string },
    contentHash: createHash("sha256").update(raw).digest("hex"),
  };
}

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

async function world() {
  const store = await openMemoryStore();
  stores.push(store);
  const mailboxId = await insertTestMailbox(store);
  const key = (uidValidity: number, uid: number, folder = "INBOX"): SyncMessageKey => ({
    mailboxId,
    folder,
    uidValidity,
    uid,
  });
  const checkpoint = (uidValidity: number, lastUid: number, folder = "INBOX") => ({
    mailboxId,
    folder,
    delimiter: "/",
    specialUse: null,
    state: { uidValidity, lastUid },
  });
  return { store, mailboxId, key, checkpoint, state: storeSyncState(store) };
}

describe("storeSyncState()", () => {
  it("records runs and hands back the folder states it committed", async () => {
    const { store, mailboxId, key, checkpoint, state } = await world();
    const run = await state.startRun(mailboxId);
    const journal = state.openJournal(mailboxId);
    expect(journal.holdsMessages).toBe(true);
    await journal.commit(await journal.plan([message(key(9, 1), "a")], []), {
      folderState: { ...checkpoint(9, 4), state: { uidValidity: 9, lastUid: 4, highestModseq: "77" } },
    });
    await journal.close();
    await state.finishRun(run, { status: "ok", fetched: 1, deleted: 0 });
    expect(await state.folderStates(mailboxId)).toEqual([
      { folder: "INBOX", state: { uidValidity: 9, lastUid: 4, highestModseq: "77" } },
    ]);
    expect(await listSyncRuns(store, mailboxId)).toMatchObject([{ id: run, status: "ok", fetched: 1 }]);
  });

  it("stores a message once: the same key again is unchanged, a flag change is an update", async () => {
    const { store, mailboxId, key, state } = await world();
    const journal = state.openJournal(mailboxId);
    const a = message(key(1, 1), "a");
    await journal.commit(await journal.plan([a], []));
    const again = await journal.plan(
      [{ ...a, id: crypto.randomUUID() }],
      [{ key: key(1, 1), flags: ["\\Seen"] }],
    );
    expect(again).toMatchObject({ inserts: [], rekeys: [], unchanged: 1 });
    expect(again.flagUpdates).toEqual([{ id: a.id, key: key(1, 1), flags: ["\\Seen"] }]);
    await journal.commit(again);
    expect(await countMessages(store, mailboxId)).toBe(1);
    expect(await journal.isStored([key(1, 1), key(1, 2)])).toEqual([true, false]);
    expect((await journal.plan([], [{ key: key(1, 1), flags: ["\\Seen"] }])).flagUpdates).toEqual([]);
  });

  it("re-keys the messages a folder holds again under a new UIDVALIDITY instead of storing them twice", async () => {
    const { store, mailboxId, key, state } = await world();
    const journal = state.openJournal(mailboxId);
    const a = message(key(1, 1), "a");
    await journal.commit(await journal.plan([a, message(key(1, 2), "b")], []));
    const plan = await journal.plan([message(key(2, 5), "a", ["\\Seen"]), message(key(2, 6), "c")], []);
    expect(plan.rekeys).toEqual([{ id: a.id, key: key(2, 5), uidvalidity: 2, uid: 5, flags: ["\\Seen"] }]);
    expect(plan.inserts.map((m) => m.key)).toEqual([key(2, 6)]);
    await journal.commit(plan);
    expect(await countMessages(store, mailboxId)).toBe(3);
    expect(await journal.isStored([key(2, 5), key(1, 1), key(1, 2)])).toEqual([true, false, true]);
  });

  it("keys POP3 messages by UIDL", async () => {
    const { mailboxId, state } = await world();
    const journal = state.openJournal(mailboxId);
    const pop: SyncMessageKey = { mailboxId, folder: "INBOX", uidl: "u1" };
    await journal.commit(await journal.plan([message(pop, "p")], []));
    expect(await journal.plan([message(pop, "p")], [])).toMatchObject({ inserts: [], unchanged: 1 });
    expect(await journal.isStored([pop, { ...pop, uidl: "u2" }])).toEqual([true, false]);
  });

  it("commits a chunk, its dead letters and its folder state together, or none of it", async () => {
    const { store, mailboxId, key, checkpoint, state } = await world();
    const journal = state.openJournal(mailboxId);
    const a = message(key(1, 1), "a");
    const letter = {
      sink: "crm",
      event: "message.stored",
      payload: { n: 1 },
      attempts: 3,
      lastError: "HTTP 500",
    };
    await store.client.execute(
      "create trigger refuse before insert on folder_state begin select raise(abort, 'refused for the test'); end",
    );
    await expect(
      journal.commit(await journal.plan([a], []), {
        folderState: checkpoint(1, 1),
        deadLetters: [{ ...letter, mailboxId, messageRowId: a.id }],
      }),
    ).rejects.toThrow(/refused for the test/);
    expect(await countMessages(store, mailboxId)).toBe(0);
    expect(await listDeadLetters(store)).toEqual([]);
    await store.client.execute("drop trigger refuse");
    await journal.commit(await journal.plan([a], []), {
      folderState: checkpoint(1, 1),
      deadLetters: [{ ...letter, mailboxId, messageRowId: a.id }],
    });
    expect(await countMessages(store, mailboxId)).toBe(1);
    expect(await listDeadLetters(store)).toMatchObject([{ ...letter, messageRowId: a.id }]);
    expect(await listFolderStates(store, mailboxId)).toMatchObject([{ uidvalidity: 1, lastUid: 1 }]);
  });

  it("commits in order on the store's writer thread after expectBulk() for a file database", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailreg-sync-adapter-"));
    const store = await openStore({ url: `file:${join(dir, "store.db")}` });
    try {
      const mailboxId = await insertTestMailbox(store);
      const journal = storeSyncState(store).openJournal(mailboxId);
      journal.expectBulk();
      const key = (uid: number): SyncMessageKey => ({ mailboxId, folder: "INBOX", uidValidity: 1, uid });
      const commits = [];
      for (let chunk = 0; chunk < 5; chunk++) {
        const plan = await journal.plan(
          Array.from({ length: 20 }, (_, i) => message(key(chunk * 20 + i + 1), `m${chunk * 20 + i}`)),
          [],
        );
        commits.push(
          journal.commit(plan, {
            folderState: {
              mailboxId,
              folder: "INBOX",
              delimiter: "/",
              specialUse: null,
              state: { uidValidity: 1, lastUid: (chunk + 1) * 20 },
            },
          }),
        );
      }
      await Promise.all(commits);
      await journal.makeDurable();
      await journal.close();
      expect(await countMessages(store, mailboxId)).toBe(100);
      expect(await listFolderStates(store, mailboxId)).toMatchObject([{ lastUid: 100 }]);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("storeDeadLetterQueue() and storeRerouteState()", () => {
  it("lists, retries and removes dead letters with the messages they are about", async () => {
    const { store, mailboxId, key, state } = await world();
    const journal = state.openJournal(mailboxId);
    const a = message(key(1, 1), "a");
    const letter = { sink: "crm", event: "message.stored", payload: {}, attempts: 1, lastError: "down" };
    await journal.commit(await journal.plan([a], []), {
      deadLetters: [{ ...letter, mailboxId, messageRowId: a.id }],
    });
    const queue = storeDeadLetterQueue(store);
    const [queued] = await queue.deadLetters({ mailboxId });
    expect(queued).toMatchObject({ ...letter, mailboxId, messageRowId: a.id });
    expect(await queue.deadLetter(queued!.id)).toEqual(queued);
    const held = await queue.heldMessage(a.id);
    expect(held).toMatchObject({ id: a.id, key: key(1, 1), size: a.size, contentHash: a.contentHash });
    expect(new Uint8Array(held!.raw!)).toEqual(a.raw);
    expect(held?.internalDate?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    await queue.recordAttempt(queued!.id, { attempts: 2, lastError: "still down" });
    expect(await queue.deadLetter(queued!.id)).toMatchObject({ attempts: 3, lastError: "still down" });
    await queue.ledger.recordSinkResults([{ messageRowId: a.id, sink: "crm", state: "delivered" }]);
    expect(await queue.ledger.sinkStates([a.id])).toEqual(new Map([[a.id, new Map([["crm", "delivered"]])]]));
    expect(await queue.deleteDeadLetter(queued!.id)).toBe(true);
    expect(await queue.deadLetters({})).toEqual([]);
    expect(await listMessageSinks(store, a.id)).toMatchObject([{ sink: "crm", state: "delivered" }]);
  });

  it("pages held messages, names folder delimiters, keeps dead letters, audits, and leases the mailbox", async () => {
    const { store, mailboxId, key, checkpoint, state } = await world();
    const journal = state.openJournal(mailboxId);
    const messages = [message(key(1, 1), "a"), message(key(1, 2), "b"), message(key(1, 3), "c")];
    await journal.commit(await journal.plan(messages, []), { folderState: checkpoint(1, 3) });
    const reroute = storeRerouteState(store);
    const first = await reroute.heldMessageIds(mailboxId, { limit: 2 });
    const rest = await reroute.heldMessageIds(mailboxId, { limit: 2, after: first.at(-1)!.id });
    expect([...first, ...rest].map((r) => r.id).sort()).toEqual(messages.map((m) => m.id).sort());
    expect(first.every((r) => !r.rawPurged)).toBe(true);
    expect(await reroute.folderDelimiters(mailboxId)).toEqual(new Map([["INBOX", "/"]]));
    await reroute.addDeadLetters([
      { sink: "x", event: "message.stored", payload: {}, attempts: 1, lastError: "e", mailboxId },
    ]);
    expect(await listDeadLetters(store, { mailboxId })).toHaveLength(1);
    await reroute.audit({ actor: "admin", action: "mailbox.reroute", mailboxId, details: { delivered: 3 } });
    expect(await listAudit(store, {})).toMatchObject([
      { actor: "admin", action: "mailbox.reroute", subjectType: "mailbox", subjectId: mailboxId },
    ]);
    const lease = { mailboxId, owner: "w1", seconds: 60 };
    expect(await reroute.acquireLease(lease)).toBe(true);
    expect(await reroute.acquireLease({ ...lease, owner: "w2" })).toBe(false);
    expect(await reroute.renewLease(lease)).toBe(true);
    await reroute.requestReroute(mailboxId, { actor: "admin" });
    expect(await takeRerouteRequest(store, mailboxId)).toMatchObject({ actor: "admin" });
    expect(await reroute.releaseLease(lease)).toBe(true);
    expect(await reroute.acquireLease({ ...lease, owner: "w2" })).toBe(true);
  });
});
