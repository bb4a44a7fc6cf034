/**
 * The read side of collected mail: a mailbox's folders with their counts, its messages newest first
 * a page at a time (a stable cursor: no gaps or repeats while new mail is stored), one message's
 * metadata with the sinks it went to, its raw source in chunks (never the whole blob at once), and
 * search by sender, recipient, subject, date range and free text (FTS5, user text always quoted).
 *
 * @module
 */
import type { InValue, Row } from "@libsql/client";
import { MailregError } from "@mailreg/core";
import { listMessageSinks, type MessageSinkRow } from "./message-routing.ts";
import { pageLimit } from "./paging.ts";
import type { Store } from "./store.ts";
import { toStoreError } from "./store-error.ts";

/** One address as the envelope holds it. */
export interface StoredAddress {
  name?: string;
  address: string;
}

/** The envelope of a stored message as the store sink wrote it (what the headers said). */
export interface StoredEnvelope {
  date?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  from: StoredAddress[];
  sender: StoredAddress[];
  replyTo: StoredAddress[];
  to: StoredAddress[];
  cc: StoredAddress[];
  bcc: StoredAddress[];
}

/** A message as lists show it (no raw source). */
export interface MessageSummary {
  id: string;
  mailboxId: string;
  folder: string;
  /** The Message-ID header without angle brackets, when there is one. */
  messageId: string | null;
  subject: string;
  from: StoredAddress[];
  to: StoredAddress[];
  /** The Date header (ISO 8601) when it parsed. */
  date: string | null;
  /** When the mail server received it (IMAP INTERNALDATE), else when mailreg stored it. */
  receivedAt: string;
  /** When mailreg stored it. */
  storedAt: string;
  size: number;
  flags: string[];
  /** Whether retention removed the raw source (metadata and search text stay). */
  rawPurged: boolean;
}

/** One message's metadata: the summary, the whole envelope, its keys, and the sinks it went to. */
export interface MessageDetail extends MessageSummary {
  envelope: StoredEnvelope;
  uidvalidity: number | null;
  uid: number | null;
  uidl: string | null;
  /** Hex SHA-256 of the raw source. */
  contentHash: string;
  rawPurgedAt: string | null;
  sinks: MessageSinkRow[];
}

/** A folder of a mailbox, as stored. */
export interface StoredFolder {
  folder: string;
  /** Messages stored from it. */
  count: number;
  /** When the newest of them was stored. */
  lastStoredAt: string;
}

/** What {@link listMessages} lists: a mailbox's messages, optionally one folder's, optionally searched. */
export interface MessageQuery {
  mailboxId: string;
  folder?: string;
  /** From {@link MessagePage.nextCursor} of the page before. */
  cursor?: string;
  /** Page size, 1 to 500; default 50. */
  limit?: number;
  /** Free text over subject, sender, recipients and text body (words, all of which must occur). */
  q?: string;
  /** Words in the sender's name or address. */
  from?: string;
  /** Words in a recipient's name or address (To, Cc, Bcc). */
  to?: string;
  /** Words in the subject. */
  subject?: string;
  /** Received at or after this (ISO 8601 date or date-time). */
  since?: string;
  /** Received before this date-time, or on or before this date (ISO 8601). */
  until?: string;
}

/** A page of messages. */
export interface MessagePage {
  messages: MessageSummary[];
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const _SUMMARY_COLUMNS =
  "m.id, m.mailbox_id, m.folder, m.message_id, m.size, m.flags, m.internal_date, m.envelope, m.stored_at, m.raw_purged_at";

/** The order a page is in, which its cursor names (see {@link listMessages}). */
export type MessageOrder = "stored" | "received" | "match";

/**
 * A mailbox's messages, newest first, a page at a time, by a keyset cursor: a page after a cursor
 * holds exactly the messages that sort after the cursor's message, so mail stored while someone
 * pages through never shifts a later page (no message is skipped or repeated).
 *
 * The order depends on the query, so that every kind of search reads only what it needs:
 * - a plain list (folder or not): by when mailreg stored them, (stored-at, id) descending;
 * - with a date range and no text: by when the server received them, (received-at, id) descending,
 *   along the received-at index;
 * - with text (`q`, `from`, `to`, `subject`), with or without dates: in the order they were stored,
 *   newest first, along the full-text index (its document ids grow as messages are stored).
 *
 * @param store the open store
 * @param query the mailbox, folder, filters, cursor and page size
 * @returns the page and the cursor of the next one
 * @throws {MailregError} VALIDATION for a malformed cursor (or one of another kind of search), date
 *   or limit
 * @example
 * ```ts
 * import { listMessages, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * const page = await listMessages(store, { mailboxId: "0193…", subject: "invoice", limit: 20 });
 * console.log(page.messages.length, page.nextCursor);
 * store.close();
 * ```
 */
export async function listMessages(store: Store, query: MessageQuery): Promise<MessagePage> {
  const limit = pageLimit(query.limit, 50, 500);
  const match = searchExpression(query);
  const range = dateRange(query.since, query.until);
  const order: MessageOrder =
    match !== undefined
      ? "match"
      : range.since !== undefined || range.until !== undefined
        ? "received"
        : "stored";
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (cursor !== undefined && cursor[0] !== order) {
    throw new MailregError(
      "VALIDATION",
      "The cursor belongs to another search: start again from the first page",
      {
        details: { cursor: query.cursor?.slice(0, 100) },
      },
    );
  }
  const received = "coalesce(m.internal_date, m.stored_at)";
  const where: string[] = ["m.mailbox_id = ?"];
  const args: InValue[] = [query.mailboxId];
  if (query.folder !== undefined) {
    where.push("m.folder = ?");
    args.push(query.folder);
  }
  if (range.since !== undefined) {
    where.push(`${received} >= ?`);
    args.push(range.since);
  }
  if (range.until !== undefined) {
    where.push(`${received} < ?`);
    args.push(range.until);
  }
  let sql: string;
  if (order === "match" && (await _scopeDrives(store, query.mailboxId, range, match!))) {
    // the mailbox (or its messages in the date range) drives: fewer of them than matches of the text
    // in the whole store; the `+` keeps SQLite from looking each of them up once per match (the set
    // of matches is built once)
    if (cursor !== undefined) {
      where.push("t.doc_id < ?");
      args.push(cursor[1]);
    }
    sql = `SELECT ${_SUMMARY_COLUMNS}, t.doc_id AS doc_id FROM messages AS m INDEXED BY messages_mailbox_received
           CROSS JOIN message_text AS t
           WHERE ${where.join(" AND ")} AND t.message_row_id = m.id
             AND +t.doc_id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)
           ORDER BY t.doc_id DESC LIMIT ?`;
    args.push(match!);
  } else if (order === "match") {
    if (cursor !== undefined) {
      where.push("f.rowid < ?");
      args.push(cursor[1]);
    }
    // the full-text index drives (CROSS JOIN keeps that order): newest match first, only matches read
    sql = `SELECT ${_SUMMARY_COLUMNS}, t.doc_id AS doc_id FROM message_fts AS f
           CROSS JOIN message_text AS t CROSS JOIN messages AS m
           WHERE message_fts MATCH ? AND t.doc_id = f.rowid AND m.id = t.message_row_id AND ${where.join(" AND ")}
           ORDER BY f.rowid DESC LIMIT ?`;
    args.unshift(match!);
  } else if (order === "received") {
    if (cursor !== undefined) {
      // the first term bounds the index walk (SQLite does not use the row value on an expression)
      where.push(`${received} <= ?`, `(${received}, m.id) < (?, ?)`);
      args.push(cursor[1], cursor[1], cursor[2]!);
    }
    sql = `SELECT ${_SUMMARY_COLUMNS} FROM messages AS m INDEXED BY messages_mailbox_received
           WHERE ${where.join(" AND ")} ORDER BY ${received} DESC, m.id DESC LIMIT ?`;
  } else {
    if (cursor !== undefined) {
      where.push("(m.stored_at, m.id) < (?, ?)");
      args.push(cursor[1], cursor[2]!);
    }
    sql = `SELECT ${_SUMMARY_COLUMNS} FROM messages AS m WHERE ${where.join(" AND ")}
           ORDER BY m.stored_at DESC, m.id DESC LIMIT ?`;
  }
  const rows = await _rows(store, sql, [...args, limit + 1]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  let nextCursor: string | null = null;
  if (rows.length > limit && last !== undefined) {
    const summary = _summary(last);
    nextCursor = encodeCursor(
      order === "match"
        ? ["match", Number(last.doc_id)]
        : order === "received"
          ? ["received", summary.receivedAt, summary.id]
          : ["stored", summary.storedAt, summary.id],
    );
  }
  return { messages: page.map(_summary), nextCursor };
}

/** Counts of candidates are taken up to this many: above it, a driver is "many". */
const _FEW = 10_000;

/**
 * Whether a text search should walk the mailbox's messages (in the date range, if any) rather than
 * the matches of the text in the whole store: true when they are fewer (both counted up to
 * {@link _FEW}, so deciding costs little).
 */
async function _scopeDrives(
  store: Store,
  mailboxId: string,
  range: { since?: string; until?: string },
  match: string,
): Promise<boolean> {
  const received = "coalesce(m.internal_date, m.stored_at)";
  const where = ["m.mailbox_id = ?"];
  const args: InValue[] = [mailboxId];
  if (range.since !== undefined) {
    where.push(`${received} >= ?`);
    args.push(range.since);
  }
  if (range.until !== undefined) {
    where.push(`${received} < ?`);
    args.push(range.until);
  }
  const [scope] = await _rows(
    store,
    `SELECT count(*) AS n FROM (SELECT 1 FROM messages AS m INDEXED BY messages_mailbox_received
     WHERE ${where.join(" AND ")} LIMIT ${_FEW + 1})`,
    args,
  );
  const inScope = Number(scope?.n ?? 0);
  if (inScope > _FEW) return false;
  const [text] = await _rows(
    store,
    `SELECT count(*) AS n FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH ? LIMIT ${inScope + 1})`,
    [match],
  );
  return Number(text?.n ?? 0) > inScope;
}

/**
 * The folders a mailbox has messages from, with their counts (alphabetical, INBOX first).
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @returns the folders
 */
export async function listMessageFolders(store: Store, mailboxId: string): Promise<StoredFolder[]> {
  const rows = await _rows(
    store,
    `SELECT folder, count(*) AS n, max(stored_at) AS last FROM messages WHERE mailbox_id = ?
     GROUP BY folder ORDER BY folder <> 'INBOX', folder`,
    [mailboxId],
  );
  return rows.map((r) => ({ folder: String(r.folder), count: Number(r.n), lastStoredAt: String(r.last) }));
}

/**
 * One stored message's metadata: envelope, flags, size, folder, received-at, and each sink it was
 * handed to with its state.
 *
 * @param store the open store
 * @param id the message's row id
 * @returns its metadata
 * @throws {MailregError} NOT_FOUND when no message has that id
 */
export async function getMessageDetail(store: Store, id: string): Promise<MessageDetail> {
  const [row] = await _rows(
    store,
    `SELECT ${_SUMMARY_COLUMNS}, m.uidvalidity, m.uid, m.uidl, m.content_hash FROM messages AS m WHERE m.id = ?`,
    [id],
  );
  if (row === undefined) throw _notFound(id);
  const summary = _summary(row);
  return {
    ...summary,
    envelope: _envelope(row.envelope),
    uidvalidity: _int(row.uidvalidity),
    uid: _int(row.uid),
    uidl: row.uidl === null ? null : String(row.uidl),
    contentHash: String(row.content_hash),
    rawPurgedAt: row.raw_purged_at === null ? null : String(row.raw_purged_at),
    sinks: await listMessageSinks(store, id),
  };
}

/**
 * Default size of the chunks {@link readRawChunks} reads. SQLite materialises the blob inside its own
 * memory for each `substr()` (libSQL's client has no incremental blob I/O), so a chunk costs one
 * transient read of the whole blob in SQLite: larger chunks mean fewer of those. The caller's side
 * holds one chunk at a time.
 */
export const RAW_CHUNK_BYTES = 1024 * 1024;

/** A message's raw source, ready to be read in chunks. */
export interface RawSource {
  /** Its length in bytes. */
  size: number;
  /** The chunks, in order; each read from the database when asked for. */
  chunks: AsyncIterable<Uint8Array>;
}

/**
 * A stored message's raw source, read from the database a chunk at a time (`substr()` on the
 * blob), so a 20 MB message is never held in memory whole.
 *
 * @param store the open store
 * @param id the message's row id
 * @param options the chunk size (default {@link RAW_CHUNK_BYTES})
 * @returns the size and the chunks
 * @throws {MailregError} NOT_FOUND when no message has that id, MESSAGE_RAW_PURGED when retention
 *   removed its raw source
 */
export async function readRawChunks(
  store: Store,
  id: string,
  options: { chunkBytes?: number } = {},
): Promise<RawSource> {
  const chunkBytes = options.chunkBytes ?? RAW_CHUNK_BYTES;
  const [row] = await _rows(store, "SELECT length(raw) AS n, raw_purged_at FROM messages WHERE id = ?", [id]);
  if (row === undefined) throw _notFound(id);
  if (row.raw_purged_at !== null) {
    throw new MailregError(
      "MESSAGE_RAW_PURGED",
      `The raw source of message ${id} was removed by the retention policy on ${String(row.raw_purged_at)}`,
      { details: { id, purgedAt: String(row.raw_purged_at) } },
    );
  }
  const size = Number(row.n);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let offset = 0; offset < size; offset += chunkBytes) {
      const [part] = await _rows(store, "SELECT substr(raw, ?, ?) AS part FROM messages WHERE id = ?", [
        offset + 1,
        chunkBytes,
        id,
      ]);
      if (part === undefined) throw _notFound(id); // deleted while being read
      const bytes = _bytes(part.part);
      if (bytes.byteLength === 0) return;
      yield bytes;
    }
  }
  return { size, chunks: chunks() };
}

/**
 * A stored message's raw source as a web stream of chunks (see {@link readRawChunks}).
 *
 * @param store the open store
 * @param id the message's row id
 * @returns the size and the stream
 * @throws {MailregError} NOT_FOUND, MESSAGE_RAW_PURGED as {@link readRawChunks}
 */
export async function rawMessageStream(
  store: Store,
  id: string,
): Promise<{ size: number; stream: ReadableStream<Uint8Array> }> {
  const raw = await readRawChunks(store, id);
  const iterator = raw.chunks[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done === true) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  return { size: raw.size, stream };
}

/**
 * A stored message's whole raw source in one buffer (for decoding its parts, which needs all of it).
 *
 * @param store the open store
 * @param id the message's row id
 * @returns the bytes
 * @throws {MailregError} NOT_FOUND, MESSAGE_RAW_PURGED as {@link readRawChunks}
 */
export async function readRawMessage(store: Store, id: string): Promise<Uint8Array> {
  const raw = await readRawChunks(store, id);
  const out = new Uint8Array(raw.size);
  let at = 0;
  for await (const chunk of raw.chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return at === raw.size ? out : out.subarray(0, at);
}

/** What a cursor holds: the order, then the sort key of the last message of its page. */
export type MessageCursor = ["stored" | "received", string, string] | ["match", number];

/**
 * The cursor of a page that ends at a message.
 *
 * @param cursor the order and the message's sort key
 * @returns an opaque string
 */
export function encodeCursor(cursor: MessageCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify(cursor));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * The order and sort key a cursor names.
 *
 * @param cursor from {@link encodeCursor}
 * @returns the order and the key
 * @throws {MailregError} VALIDATION for anything else
 */
export function decodeCursor(cursor: string): MessageCursor {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const v: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    if (Array.isArray(v)) {
      const [kind, a, b] = v as unknown[];
      const text = (x: unknown): x is string => typeof x === "string" && x.length <= 64;
      if ((kind === "stored" || kind === "received") && v.length === 3 && text(a) && text(b))
        return [kind, a, b];
      if (kind === "match" && v.length === 2 && Number.isSafeInteger(a)) return ["match", a as number];
    }
  } catch {
    // reported below
  }
  throw new MailregError("VALIDATION", "The cursor is not one this server handed out", {
    details: { cursor: cursor.slice(0, 100) },
  });
}

/**
 * An FTS5 query that matches text containing every word of `text`, in any order: each word is one
 * quoted string (quotes inside doubled), so no user input is ever read as FTS5 syntax. A word ending
 * in `*` (two characters or more before it) matches as a prefix.
 *
 * @param text what the user typed
 * @returns the query, or undefined when `text` has no word
 * @example
 * ```ts
 * import { ftsPhrases } from "@mailreg/store";
 * console.log(ftsPhrases('Rechnung "AND" inv*')); // "Rechnung" """AND""" "inv"*
 * ```
 */
export function ftsPhrases(text: string): string | undefined {
  const words = [...text]
    .map((c) => (c.charCodeAt(0) < 0x20 || c === "\u007f" ? " " : c))
    .join("")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 32);
  const phrases = words.map((word) => {
    const prefix = word.length > 2 && word.endsWith("*") && !word.endsWith("**");
    const bare = prefix ? word.slice(0, -1) : word;
    return `"${bare.replaceAll('"', '""')}"${prefix ? "*" : ""}`;
  });
  return phrases.length === 0 ? undefined : phrases.join(" ");
}

/** The FTS5 expression of a query's text filters, or undefined when it has none. */
export function searchExpression(
  query: Pick<MessageQuery, "q" | "from" | "to" | "subject">,
): string | undefined {
  const parts: string[] = [];
  const add = (columns: string | undefined, text: string | undefined) => {
    const phrases = text === undefined ? undefined : ftsPhrases(text);
    if (phrases !== undefined)
      parts.push(columns === undefined ? `(${phrases})` : `${columns} : (${phrases})`);
  };
  add(undefined, query.q);
  add("sender", query.from);
  add("recipients", query.to);
  add("subject", query.subject);
  return parts.length === 0 ? undefined : parts.join(" AND ");
}

/**
 * A date range as the ISO 8601 bounds the store compares with: `since` inclusive, `until` exclusive
 * (a date alone as `until` includes that whole day, UTC).
 *
 * @param since a date or date-time
 * @param until a date or date-time
 * @returns the bounds
 * @throws {MailregError} VALIDATION for a value that is not a date
 */
export function dateRange(
  since: string | undefined,
  until: string | undefined,
): { since?: string; until?: string } {
  const out: { since?: string; until?: string } = {};
  if (since !== undefined && since !== "") out.since = _isoDate("since", since, false);
  if (until !== undefined && until !== "") out.until = _isoDate("until", until, true);
  return out;
}

function _isoDate(field: string, value: string, endOfDay: boolean): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const time = dateOnly || /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new MailregError("VALIDATION", `${field} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`, {
      details: { field, value: value.slice(0, 64) },
    });
  }
  return new Date(dateOnly && endOfDay ? time + 86_400_000 : time).toISOString();
}

async function _rows(store: Store, sql: string, args: InValue[]): Promise<Row[]> {
  try {
    return (await store.client.execute({ sql, args })).rows;
  } catch (error) {
    throw toStoreError(error);
  }
}

function _summary(row: Row): MessageSummary {
  const envelope = _envelope(row.envelope);
  const storedAt = String(row.stored_at);
  return {
    id: String(row.id),
    mailboxId: String(row.mailbox_id),
    folder: String(row.folder),
    messageId: row.message_id === null ? null : String(row.message_id),
    subject: envelope.subject ?? "",
    from: envelope.from,
    to: envelope.to,
    date: envelope.date ?? null,
    receivedAt: row.internal_date === null ? storedAt : String(row.internal_date),
    storedAt,
    size: Number(row.size),
    flags: _flags(row.flags),
    rawPurged: row.raw_purged_at !== null,
  };
}

const _LISTS = ["from", "sender", "replyTo", "to", "cc", "bcc"] as const;

function _envelope(value: unknown): StoredEnvelope {
  let parsed: Record<string, unknown> = {};
  try {
    const v: unknown = typeof value === "string" ? JSON.parse(value) : null;
    if (v !== null && typeof v === "object") parsed = v as Record<string, unknown>;
  } catch {
    // an unreadable envelope shows as an empty one
  }
  const out: StoredEnvelope = { from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [] };
  for (const key of _LISTS) {
    const list = parsed[key];
    if (!Array.isArray(list)) continue;
    out[key] = list.flatMap((a: unknown) => {
      if (a === null || typeof a !== "object") return [];
      const { name, address } = a as { name?: unknown; address?: unknown };
      if (typeof address !== "string") return [];
      return [typeof name === "string" && name !== "" ? { name, address } : { address }];
    });
  }
  for (const key of ["date", "subject", "messageId", "inReplyTo"] as const) {
    const v = parsed[key];
    if (typeof v === "string") out[key] = v;
  }
  return out;
}

function _flags(value: unknown): string[] {
  try {
    const v: unknown = typeof value === "string" ? JSON.parse(value) : [];
    return Array.isArray(v) ? v.filter((f): f is string => typeof f === "string") : [];
  } catch {
    return [];
  }
}

function _int(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function _bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === "string") return new TextEncoder().encode(value);
  return new Uint8Array(0);
}

function _notFound(id: string): MailregError {
  return new MailregError("NOT_FOUND", `No stored message has the id ${id}`, { details: { id } });
}
