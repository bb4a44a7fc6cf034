import { describe, expect, it } from "vitest";
import { contentHash } from "./content-hash.ts";
import { parseEnvelope } from "./envelope.ts";
import { createMemorySyncState } from "./memory-sync-state.ts";
import type { PreparedMessage } from "./ports.ts";
import type { MessageKey } from "./sink.ts";

const encoder = new TextEncoder();

/** A message as the engine prepares it. */
function prepared(key: MessageKey, text: string, flags: string[] = []): PreparedMessage {
  const raw = encoder.encode(`Message-ID: <${text}@example.org>\r\nSubject: ${text}\r\n\r\n${text}`);
  return {
    id: crypto.randomUUID(),
    key,
    raw,
    size: raw.length,
    flags,
    envelope: parseEnvelope(raw),
    delimiter: "/",
    contentHash: contentHash(raw),
  };
}

const imap = (uidValidity: number, uid: number, folder = "INBOX"): MessageKey => ({
  mailboxId: "m1",
  folder,
  uidValidity,
  uid,
});
const folderState = (uidValidity: number, lastUid: number, folder = "INBOX") => ({
  mailboxId: "m1",
  folder,
  delimiter: "/",
  specialUse: null,
  state: { uidValidity, lastUid },
});

describe("createMemorySyncState()", () => {
  it("tells new messages from committed ones, and sees only real flag changes", async () => {
    const state = createMemorySyncState();
    const journal = state.openJournal("m1");
    const a = prepared(imap(1, 1), "a");
    const b = prepared(imap(1, 2), "b", ["\\Seen"]);
    const first = await journal.plan([a, b], []);
    expect(first.inserts.map((m) => m.id)).toEqual([a.id, b.id]);
    await journal.commit(first, { folderState: folderState(1, 2) });

    const again = await journal.plan(
      [{ ...a, id: crypto.randomUUID() }],
      [
        { key: imap(1, 2), flags: ["\\Seen"] },
        { key: imap(1, 1), flags: ["\\Flagged"] },
        { key: imap(1, 9), flags: ["\\Flagged"] },
      ],
    );
    expect(again).toMatchObject({ inserts: [], rekeys: [], unchanged: 1 });
    expect(again.flagUpdates).toEqual([{ id: a.id, key: imap(1, 1), flags: ["\\Flagged"] }]);
    await journal.commit(again);
    expect(state.messages("m1").find((m) => m.id === a.id)?.flags).toEqual(["\\Flagged"]);
    expect(await journal.isStored([imap(1, 1), imap(1, 3), imap(2, 1)])).toEqual([true, false, false]);
    expect(await state.folderStates("m1")).toEqual([
      { folder: "INBOX", state: { uidValidity: 1, lastUid: 2 } },
    ]);
  });

  it("re-keys what a folder holds again under a new UIDVALIDITY, and inserts only what is really new", async () => {
    const state = createMemorySyncState();
    const journal = state.openJournal("m1");
    const a = prepared(imap(1, 1), "a");
    const b = prepared(imap(1, 2), "b");
    await journal.commit(await journal.plan([a, b], []), { folderState: folderState(1, 2) });

    const aAgain = { ...prepared(imap(7, 10), "a"), flags: ["\\Seen"] };
    const c = prepared(imap(7, 11), "c");
    // the same content in another folder is not the same message
    const elsewhere = prepared(imap(7, 1, "Archive"), "b");
    const plan = await journal.plan([aAgain, c, elsewhere], []);
    expect(plan.inserts.map((m) => m.id)).toEqual([c.id, elsewhere.id]);
    expect(plan.rekeys).toEqual([{ id: a.id, key: imap(7, 10), uidvalidity: 7, uid: 10, flags: ["\\Seen"] }]);
    await journal.commit(plan, { folderState: folderState(7, 11) });
    expect(await journal.isStored([imap(7, 10), imap(1, 1), imap(1, 2)])).toEqual([true, false, true]);
    const held = state.messages("m1", "INBOX").map((m) => [m.id, m.key]);
    expect(held).toHaveLength(3);
    expect(held).toEqual(
      expect.arrayContaining([
        [b.id, imap(1, 2)],
        [a.id, imap(7, 10)],
        [c.id, imap(7, 11)],
      ]),
    );
  });

  it("keys POP3 messages by UIDL", async () => {
    const state = createMemorySyncState();
    const journal = state.openJournal("m1");
    const key: MessageKey = { mailboxId: "m1", folder: "INBOX", uidl: "u-1" };
    await journal.commit(await journal.plan([prepared(key, "p")], []));
    expect(await journal.plan([prepared(key, "p")], [])).toMatchObject({ inserts: [], unchanged: 1 });
    expect(await journal.isStored([key, { ...key, uidl: "u-2" }])).toEqual([true, false]);
  });

  it("keeps raw sources and dead letters only with keepMessages, and says whether it holds messages", async () => {
    const keys = createMemorySyncState();
    expect(keys.openJournal("m1").holdsMessages).toBe(false);
    const full = createMemorySyncState({ keepMessages: true });
    const journal = full.openJournal("m1");
    expect(journal.holdsMessages).toBe(true);
    const a = prepared(imap(1, 1), "a");
    const letter = { sink: "crm", event: "message.stored", payload: {}, attempts: 3, lastError: "HTTP 500" };
    await journal.commit(await journal.plan([a], []), {
      deadLetters: [{ ...letter, mailboxId: "m1", messageRowId: a.id }],
    });
    const [queued] = await full.deadLetters({ mailboxId: "m1" });
    expect(queued).toMatchObject({ ...letter, messageRowId: a.id });
    expect((await full.heldMessage(a.id))?.raw).toEqual(a.raw);
    await full.recordAttempt(queued!.id, { attempts: 4, lastError: "HTTP 502" });
    expect(await full.deadLetter(queued!.id)).toMatchObject({ attempts: 4, lastError: "HTTP 502" });
    expect(await full.deleteDeadLetter(queued!.id)).toBe(true);
    expect(await full.deadLetters({})).toEqual([]);
  });

  it("starts again from its snapshot (no raw sources), which survives JSON", async () => {
    const state = createMemorySyncState({ keepMessages: true });
    const journal = state.openJournal("m1");
    const a = prepared(imap(3, 1), "a", ["\\Seen"]);
    await journal.commit(await journal.plan([a], []), {
      folderState: {
        ...folderState(3, 1),
        state: { uidValidity: 3, lastUid: 1, highestModseq: "18446744073709551615" },
      },
    });
    const run = await state.startRun("m1");
    await state.finishRun(run, { status: "ok", fetched: 1, deleted: 0 });
    const snapshot = JSON.parse(JSON.stringify(state.snapshot()));
    expect(JSON.stringify(snapshot)).not.toContain("Subject");
    const again = createMemorySyncState({ from: snapshot });
    expect(await again.folderStates("m1")).toEqual([
      { folder: "INBOX", state: { uidValidity: 3, lastUid: 1, highestModseq: "18446744073709551615" } },
    ]);
    expect(again.runs("m1")).toMatchObject([{ id: run, status: "ok", fetched: 1 }]);
    const plan = await again.openJournal("m1").plan([prepared(imap(4, 1), "a", ["\\Seen"])], []);
    expect(plan.rekeys).toMatchObject([{ id: a.id, uidvalidity: 4, uid: 1 }]);
  });

  it("fails a commit, and every later one, when persisting it fails", async () => {
    let calls = 0;
    const state = createMemorySyncState({
      onChange: async () => {
        if (++calls === 2) throw new Error("disk full");
      },
    });
    const journal = state.openJournal("m1");
    await journal.commit(await journal.plan([prepared(imap(1, 1), "a")], []));
    await expect(journal.commit(await journal.plan([prepared(imap(1, 2), "b")], []))).rejects.toThrow(
      "disk full",
    );
    await expect(journal.commit(await journal.plan([prepared(imap(1, 3), "c")], []))).rejects.toThrow(
      "disk full",
    );
  });
});
