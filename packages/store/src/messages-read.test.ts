import { MailregError, newId } from "@mailreg/core";
import { searchText } from "@mailreg/message";
import { describe, expect, it } from "vitest";
import { commitMessageChunk } from "./mail-sync.ts";
import { indexPendingMessageText } from "./message-index.ts";
import { recordSinkResult } from "./message-routing.ts";
import {
  decodeCursor,
  encodeCursor,
  ftsPhrases,
  getMessageDetail,
  listMessageFolders,
  listMessages,
  type MessageSummary,
  readRawChunks,
  readRawMessage,
} from "./messages-read.ts";
import { purgeRawOlderThan } from "./retention.ts";
import type { Store } from "./store.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";

let _uid = 0;

interface TestMail {
  folder?: string;
  subject: string;
  from?: { name?: string; address: string };
  to?: string;
  body?: string;
  html?: string;
  internalDate?: string;
  storedAt?: string;
}

function rawOf(m: TestMail): Uint8Array {
  const from = m.from ?? { address: "sender@example.org" };
  const type = m.html === undefined ? "text/plain" : "text/html";
  return new TextEncoder().encode(
    `From: ${from.name === undefined ? "" : `"${from.name}" `}<${from.address}>\r\nTo: ${m.to ?? "owner@example.test"}\r\n` +
      `Subject: ${m.subject}\r\nContent-Type: ${type}; charset=utf-8\r\n\r\n${m.html ?? m.body ?? "hello"}\r\n`,
  );
}

/** Stores messages as the store sink does (one chunk, one stored-at unless given); returns their ids. */
async function storeMails(store: Store, mailboxId: string, mails: TestMail[]): Promise<string[]> {
  const storedAt = new Date().toISOString();
  const ids = mails.map(() => newId());
  await commitMessageChunk(store, {
    inserts: mails.map((m, i) => {
      const raw = rawOf(m);
      return {
        id: ids[i]!,
        mailboxId,
        folder: m.folder ?? "INBOX",
        uidvalidity: 1,
        uid: ++_uid,
        contentHash: "0".repeat(64),
        size: raw.byteLength,
        flags: ["\\Seen"],
        internalDate: m.internalDate ?? null,
        envelope: {
          subject: m.subject,
          from: [m.from ?? { address: "sender@example.org" }],
          sender: [],
          replyTo: [],
          to: [{ address: m.to ?? "owner@example.test" }],
          cc: [],
          bcc: [],
        },
        raw,
        storedAt: m.storedAt ?? storedAt,
      };
    }),
  });
  return ids;
}

async function allPages(
  store: Store,
  query: Parameters<typeof listMessages>[1],
  between?: (page: number) => Promise<void>,
): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const result = await listMessages(store, { ...query, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...result.messages);
    if (result.nextCursor === null) return out;
    cursor = result.nextCursor;
    await between?.(page);
  }
}

describe("listMessages()", () => {
  it("pages newest first without gaps or repeats while new mail is stored between pages", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const old: string[] = [];
    for (let i = 0; i < 5; i++) {
      old.push(
        ...(await storeMails(
          store,
          mailboxId,
          Array.from({ length: 5 }, (_, j) => ({ subject: `old ${i}-${j}` })),
        )),
      );
    }
    const seen = await allPages(store, { mailboxId, limit: 4 }, async (page) => {
      await storeMails(store, mailboxId, [{ subject: `arrived during page ${page}` }]);
    });
    const ids = seen.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...old].sort());
    // newest first: stored-at descending, ties by id descending
    const keys = seen.map((m) => `${m.storedAt} ${m.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    // the mail that arrived is on a fresh first page
    const first = await listMessages(store, { mailboxId, limit: 3 });
    expect(first.messages.every((m) => m.subject.startsWith("arrived during"))).toBe(true);
    store.close();
  });

  it("pages searches (by text, by date) without gaps or repeats while new matching mail is stored", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    // another mailbox with more matches than this one holds: its messages drive the text search
    const other = await insertTestMailbox(store, { instanceId: "j" });
    const others = await storeMails(
      store,
      other,
      Array.from({ length: 40 }, (_, i) => ({ subject: `quarterly report elsewhere ${i}` })),
    );
    const old: string[] = [];
    for (let i = 0; i < 4; i++) {
      old.push(
        ...(await storeMails(
          store,
          mailboxId,
          Array.from({ length: 5 }, (_, j) => ({
            subject: `quarterly report ${i}-${j}`,
            internalDate: `2026-0${1 + (j % 3)}-1${i}T10:00:00.000Z`,
          })),
        )),
      );
    }
    await indexPendingMessageText(store, { extractText: searchText });
    for (const query of [
      { q: "report" },
      { subject: "quarterly" },
      { since: "2026-01-01" },
      { since: "2026-01-01", q: "report" },
    ]) {
      let n = 0;
      const seen = await allPages(store, { mailboxId, limit: 3, ...query }, async () => {
        await storeMails(store, mailboxId, [
          { subject: `quarterly report late ${n++}`, internalDate: `2026-02-1${n % 10}T11:00:00.000Z` },
        ]);
        await indexPendingMessageText(store, { extractText: searchText });
      });
      const ids = seen.map((m) => m.id);
      expect(new Set(ids).size, JSON.stringify(query)).toBe(ids.length);
      // every message there before paging started is on exactly one page, none of the other mailbox
      for (const id of old) expect(ids, JSON.stringify(query)).toContain(id);
      for (const id of others) expect(ids).not.toContain(id);
    }
    // a cursor only continues the kind of search that handed it out
    const textPage = await listMessages(store, { mailboxId, q: "report", limit: 2 });
    await expect(listMessages(store, { mailboxId, cursor: textPage.nextCursor! })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    store.close();
  });

  it("lists one folder, and folders with their counts (INBOX first)", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    await storeMails(store, mailboxId, [
      { subject: "a", folder: "Archive" },
      { subject: "b", folder: "INBOX" },
      { subject: "c", folder: "Archive" },
      { subject: "d", folder: "Ärger" },
    ]);
    expect((await listMessageFolders(store, mailboxId)).map((f) => [f.folder, f.count])).toEqual([
      ["INBOX", 1],
      ["Archive", 2],
      ["Ärger", 1],
    ]);
    const archive = await listMessages(store, { mailboxId, folder: "Archive" });
    expect(archive.messages.map((m) => m.subject).sort()).toEqual(["a", "c"]);
    expect(archive.nextCursor).toBeNull();
    store.close();
  });

  it("finds messages by sender, recipient, subject, date range and words of the body", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [invoice, order, letter] = await storeMails(store, mailboxId, [
      {
        subject: "Rechnung Nr. 4711 – fällig",
        from: { name: "Jürgen Müller", address: "juergen@kunde.example" },
        to: "buchhaltung@example.test",
        body: "Bitte überweisen Sie den Betrag bis Freitag.",
        internalDate: "2026-03-02T10:00:00.000Z",
      },
      {
        subject: "Order confirmation",
        from: { address: "shop@store.example" },
        html: "<p>Your <b>parcel</b> ships tomorrow</p><script>var hidden = 'zebra';</script>",
        internalDate: "2026-04-15T10:00:00.000Z",
      },
      { subject: "Hello", body: "just a letter", internalDate: "2026-05-01T00:00:00.000Z" },
    ]);
    await indexPendingMessageText(store, { extractText: searchText });
    const ids = async (q: Parameters<typeof listMessages>[1]) =>
      (await listMessages(store, q)).messages.map((m) => m.id).sort();
    expect(await ids({ mailboxId, from: "Müller" })).toEqual([invoice]);
    expect(await ids({ mailboxId, from: "juergen@kunde.example" })).toEqual([invoice]);
    expect(await ids({ mailboxId, to: "buchhaltung" })).toEqual([invoice]);
    expect(await ids({ mailboxId, subject: "rechnung 4711" })).toEqual([invoice]);
    expect(await ids({ mailboxId, subject: "faellig" })).toEqual([]);
    expect(await ids({ mailboxId, subject: "fallig" })).toEqual([invoice]); // diacritics folded
    expect(await ids({ mailboxId, q: "überweisen" })).toEqual([invoice]);
    expect(await ids({ mailboxId, q: "parcel" })).toEqual([order]);
    expect(await ids({ mailboxId, q: "zebra" })).toEqual([]); // script content is not text
    expect(await ids({ mailboxId, q: "parc*" })).toEqual([order]);
    expect(await ids({ mailboxId, since: "2026-04-01" })).toEqual([order, letter].sort());
    expect(await ids({ mailboxId, until: "2026-04-15" })).toEqual([invoice, order].sort());
    expect(await ids({ mailboxId, since: "2026-04-01", until: "2026-04-30", q: "ships" })).toEqual([order]);
    expect(await ids({ mailboxId, q: "letter", subject: "Rechnung" })).toEqual([]);
    store.close();
  });

  it("treats search text as words, never as FTS or SQL syntax", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [quoted] = await storeMails(store, mailboxId, [{ subject: 'He said "AND" NEAR(x) OR col:*' }]);
    await indexPendingMessageText(store, { extractText: searchText });
    for (const text of [
      '"',
      "AND",
      "OR NOT",
      "NEAR(",
      "subject:",
      "*",
      "'; drop table messages; --",
      "^a",
      "a)(b",
      "-x",
      "{subject}: x",
    ]) {
      await expect(listMessages(store, { mailboxId, q: text })).resolves.toBeDefined();
      await expect(listMessages(store, { mailboxId, subject: text })).resolves.toBeDefined();
    }
    expect((await listMessages(store, { mailboxId, q: '"AND"' })).messages.map((m) => m.id)).toEqual([
      quoted,
    ]);
    expect((await listMessages(store, { mailboxId, subject: "near(x)" })).messages.map((m) => m.id)).toEqual([
      quoted,
    ]);
    expect((await listMessages(store, { mailboxId })).messages).toHaveLength(1);
    expect(ftsPhrases('a "b" cd* e*')).toBe('"a" """b""" "cd"* "e*"');
    expect(ftsPhrases(" \t ")).toBeUndefined();
    store.close();
  });

  it("refuses a cursor it did not hand out and a date that is not one", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    for (const query of [
      { cursor: "bm9wZQ" },
      { cursor: "%%%" },
      { since: "yesterday" },
      { until: "2026-13-45" },
      { limit: 0 },
    ]) {
      await expect(listMessages(store, { mailboxId, ...query })).rejects.toMatchObject({
        code: "VALIDATION",
      });
    }
    expect(decodeCursor(encodeCursor(["stored", "2026-01-01T00:00:00.000Z", "id-ü"]))).toEqual([
      "stored",
      "2026-01-01T00:00:00.000Z",
      "id-ü",
    ]);
    expect(decodeCursor(encodeCursor(["match", 42]))).toEqual(["match", 42]);
    store.close();
  });
});

describe("getMessageDetail() and the raw source", () => {
  it("shows the envelope, flags, folder, size and the sinks with their state", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [id] = await storeMails(store, mailboxId, [{ subject: "Grüße", folder: "Archive" }]);
    await recordSinkResult(store, {
      messageRowId: id!,
      sink: "webhook:crm",
      state: "failed",
      lastError: "HTTP 500",
    });
    const detail = await getMessageDetail(store, id!);
    expect(detail).toMatchObject({
      id,
      folder: "Archive",
      subject: "Grüße",
      flags: ["\\Seen"],
      rawPurged: false,
      envelope: { subject: "Grüße", from: [{ address: "sender@example.org" }] },
      sinks: [{ sink: "webhook:crm", state: "failed" }],
    });
    await expect(getMessageDetail(store, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    store.close();
  });

  it("reads the raw source in chunks, byte for byte", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i} äöü\r\n`).join("");
    const [id] = await storeMails(store, mailboxId, [{ subject: "big", body }]);
    const expected = rawOf({ subject: "big", body });
    const raw = await readRawChunks(store, id!, { chunkBytes: 1000 });
    expect(raw.size).toBe(expected.byteLength);
    const chunks: Uint8Array[] = [];
    for await (const c of raw.chunks) chunks.push(c);
    expect(chunks.length).toBe(Math.ceil(expected.byteLength / 1000));
    expect(Buffer.concat(chunks).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(await readRawMessage(store, id!)).equals(Buffer.from(expected))).toBe(true);
    store.close();
  });

  it("answers MESSAGE_RAW_PURGED for a raw source retention removed, while search still finds it", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [id] = await storeMails(store, mailboxId, [
      { subject: "ancient", body: "fossil", storedAt: new Date(Date.now() - 90 * 86_400_000).toISOString() },
    ]);
    await indexPendingMessageText(store, { extractText: searchText });
    await purgeRawOlderThan(store, { before: new Date(Date.now() - 30 * 86_400_000) });
    const error = await readRawChunks(store, id!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailregError);
    expect(error).toMatchObject({ code: "MESSAGE_RAW_PURGED" });
    expect((await getMessageDetail(store, id!)).rawPurged).toBe(true);
    expect((await listMessages(store, { mailboxId, q: "fossil" })).messages.map((m) => m.id)).toEqual([id]);
    store.close();
  });
});

describe("indexPendingMessageText()", () => {
  it("indexes each stored body once, in batches, and reports when more are pending", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    await storeMails(
      store,
      mailboxId,
      Array.from({ length: 7 }, (_, i) => ({ subject: `s${i}`, body: `word${i}` })),
    );
    expect(await listMessages(store, { mailboxId, q: "word3" })).toMatchObject({ messages: [] });
    expect(await indexPendingMessageText(store, { extractText: searchText, limit: 5, batch: 2 })).toEqual({
      indexed: 5,
      more: true,
    });
    expect(await indexPendingMessageText(store, { extractText: searchText })).toEqual({
      indexed: 2,
      more: false,
    });
    expect(await indexPendingMessageText(store, { extractText: searchText })).toEqual({
      indexed: 0,
      more: false,
    });
    expect((await listMessages(store, { mailboxId, q: "word3" })).messages).toHaveLength(1);
    store.close();
  });

  it("makes a stored message findable by its header fields once indexed, and skips one deleted before", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [kept, gone] = await storeMails(store, mailboxId, [
      { subject: "quarterly figures", from: { name: "Erika Muster", address: "erika@example.org" } },
      { subject: "quarterly draft" },
    ]);
    // stored and listed at once; the text search finds it once the indexer ran
    expect((await listMessages(store, { mailboxId })).messages).toHaveLength(2);
    expect((await listMessages(store, { mailboxId, q: "quarterly" })).messages).toEqual([]);
    await store.client.execute({ sql: "delete from messages where id = ?", args: [gone!] });
    expect(await indexPendingMessageText(store, { extractText: searchText, mailboxId })).toEqual({
      indexed: 1,
      more: false,
    });
    for (const q of ["quarterly", "Muster", "erika@example.org"]) {
      expect((await listMessages(store, { mailboxId, q })).messages.map((m) => m.id)).toEqual([kept]);
    }
    const left = await store.client.execute("select count(*) as n from message_text_queue");
    expect(Number(left.rows[0]!.n)).toBe(0);
    store.close();
  });

  it("fills the body of a message whose header fields were indexed before the queue existed", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [id] = await storeMails(store, mailboxId, [{ subject: "older row", body: "pelican" }]);
    // as migration 0006's trigger left it: header fields, no body, nothing queued
    await store.client.batch(
      [
        { sql: "delete from message_text_queue", args: [] },
        {
          sql: "insert into message_text (message_row_id, subject, sender, recipients) values (?, 'older row', '', '')",
          args: [id!],
        },
      ],
      "write",
    );
    expect((await listMessages(store, { mailboxId, q: "pelican" })).messages).toEqual([]);
    expect(await indexPendingMessageText(store, { extractText: searchText })).toEqual({
      indexed: 1,
      more: false,
    });
    expect((await listMessages(store, { mailboxId, q: "pelican" })).messages.map((m) => m.id)).toEqual([id]);
    expect((await listMessages(store, { mailboxId, q: "older" })).messages.map((m) => m.id)).toEqual([id]);
    store.close();
  });
});
