/**
 * The search indexer: writes each stored message's searchable text — header fields (subject,
 * sender, recipients) from its envelope and the text body from its raw source — into
 * `message_text`, and so the FTS5 index. Storing a message only queues it (`message_text_queue`,
 * filled by a trigger): the collection path pays one small row per message, and the indexing
 * happens here, after the chunk committed (the worker runs it after each collection run that
 * stored mail, and on its retention round). Until then a message is listed but not found by a text
 * search. Rows made before migration 0008 already hold their header fields; their body is filled
 * here too.
 *
 * The body's text comes from the extractor the caller hands in (`searchText` of `@mailreg/message`
 * in mailreg's worker): the store knows no MIME and no HTML, so it installs no parser or sanitizer.
 *
 * @module
 */
import type { InStatement } from "@libsql/client";
import { readRawMessage } from "./messages-read.ts";
import type { Store } from "./store.ts";
import { toStoreError } from "./store-error.ts";
import { runExclusive } from "./write-lock.ts";

/**
 * The searchable text of a raw message (`searchText` of `@mailreg/message` is one); "" for none.
 * It may throw for a message it cannot read: the message is then indexed with an empty body.
 */
export type MessageTextExtractor = (raw: Uint8Array) => Promise<string> | string;

/** Options of {@link indexPendingMessageText}. */
export interface IndexOptions {
  /** Turns a message's raw source into its searchable body text. */
  extractText: MessageTextExtractor;
  /** At most this many messages (default 10,000). */
  limit?: number;
  /** Messages per write transaction (default 50). */
  batch?: number;
  /** Only this mailbox's messages. */
  mailboxId?: string;
}

/** What {@link indexPendingMessageText} did. */
export interface IndexResult {
  /** Messages whose searchable text is now indexed. */
  indexed: number;
  /** Whether messages are still pending (the `limit` was reached). */
  more: boolean;
}

/** SQL for a message's header fields from `messages.envelope` (alias `m`), as the FTS5 columns take them. */
const _HEADER_FIELDS = `coalesce(json_extract(m.envelope, '$.subject'), ''),
  coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
    FROM (SELECT value FROM json_each(m.envelope, '$.from') UNION ALL SELECT value FROM json_each(m.envelope, '$.sender')) AS a), ''),
  coalesce((SELECT group_concat(trim(coalesce(json_extract(a.value, '$.name'), '') || ' ' || coalesce(json_extract(a.value, '$.address'), '')), ' ')
    FROM (SELECT value FROM json_each(m.envelope, '$.to') UNION ALL SELECT value FROM json_each(m.envelope, '$.cc')
      UNION ALL SELECT value FROM json_each(m.envelope, '$.bcc')) AS a), '')`;

const _INSERT_TEXT = `INSERT INTO message_text (message_row_id, subject, sender, recipients, body)
  SELECT m.id, ${_HEADER_FIELDS}, ? FROM messages AS m
  WHERE m.id = ? AND NOT EXISTS (SELECT 1 FROM message_text AS t WHERE t.message_row_id = m.id)`;

/**
 * Indexes the searchable text of stored messages not indexed yet, oldest first, in batches (one
 * write transaction per batch). A message whose raw source retention removed gets an empty body;
 * one that does not parse gets an empty body too (its header fields stay searchable).
 *
 * @param store the open store
 * @param options the text extractor; at most `limit` messages (default 10,000) in batches of `batch`
 *   (default 50); `mailboxId` restricts it to one mailbox
 * @returns how many were indexed and whether more are pending
 * @throws {MailregError} STORE_UNAVAILABLE when the database is locked or unreachable
 * @example
 * ```ts
 * import { indexPendingMessageText, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * // mailreg's worker passes `searchText` of @mailreg/message; any raw → text function will do
 * const extractText = (raw: Uint8Array) => new TextDecoder().decode(raw);
 * console.log(await indexPendingMessageText(store, { extractText })); // { indexed: 0, more: false }
 * store.close();
 * ```
 */
export async function indexPendingMessageText(store: Store, options: IndexOptions): Promise<IndexResult> {
  const limit = options.limit ?? 10_000;
  const batch = Math.max(1, Math.min(options.batch ?? 50, limit));
  let indexed = 0;
  // rows from before migration 0008: header fields there, body to fill
  let afterDoc = -1;
  while (indexed < limit) {
    const pending = await _bodyless(store, afterDoc, Math.min(batch, limit - indexed), options.mailboxId);
    if (pending.length === 0) break;
    const statements: InStatement[] = [];
    for (const p of pending) {
      afterDoc = p.docId;
      statements.push({
        sql: "UPDATE message_text SET body = ? WHERE doc_id = ? AND body IS NULL",
        args: [await _body(store, options.extractText, p.messageRowId, p.purged), p.docId],
      });
    }
    await _write(store, statements);
    indexed += pending.length;
  }
  // the queue of messages stored since
  let afterQueued = -1;
  while (indexed < limit) {
    const queued = await _queued(store, afterQueued, Math.min(batch, limit - indexed), options.mailboxId);
    if (queued.length === 0) return { indexed, more: false };
    const statements: InStatement[] = [];
    for (const q of queued) {
      afterQueued = q.queueId;
      if (q.present) {
        statements.push({
          sql: _INSERT_TEXT,
          args: [await _body(store, options.extractText, q.messageRowId, q.purged), q.messageRowId],
        });
      }
      statements.push({ sql: "DELETE FROM message_text_queue WHERE rowid = ?", args: [q.queueId] });
    }
    await _write(store, statements);
    indexed += queued.filter((q) => q.present).length;
  }
  const more =
    (await _bodyless(store, afterDoc, 1, options.mailboxId)).length > 0 ||
    (await _queued(store, afterQueued, 1, options.mailboxId)).length > 0;
  return { indexed, more };
}

/** The searchable text of a message's body; "" when its raw source is gone or does not parse. */
async function _body(
  store: Store,
  extractText: MessageTextExtractor,
  messageRowId: string,
  purged: boolean,
): Promise<string> {
  if (purged) return "";
  let raw: Uint8Array;
  try {
    raw = await readRawMessage(store, messageRowId);
  } catch {
    return ""; // deleted meanwhile, or purged since: nothing to index
  }
  try {
    return await extractText(raw);
  } catch {
    return ""; // a message the extractor cannot read: its header fields stay searchable
  }
}

async function _write(store: Store, statements: InStatement[]): Promise<void> {
  await runExclusive(store, async () => {
    try {
      await store.client.batch(statements, "write");
    } catch (error) {
      throw toStoreError(error);
    }
  });
}

async function _bodyless(
  store: Store,
  after: number,
  limit: number,
  mailboxId: string | undefined,
): Promise<{ docId: number; messageRowId: string; purged: boolean }[]> {
  try {
    const result = await store.client.execute({
      sql: `SELECT t.doc_id, t.message_row_id, m.raw_purged_at FROM message_text AS t
            JOIN messages AS m ON m.id = t.message_row_id
            WHERE t.body IS NULL AND t.doc_id > ?${mailboxId === undefined ? "" : " AND m.mailbox_id = ?"}
            ORDER BY t.doc_id LIMIT ?`,
      args: mailboxId === undefined ? [after, limit] : [after, mailboxId, limit],
    });
    return result.rows.map((r) => ({
      docId: Number(r.doc_id),
      messageRowId: String(r.message_row_id),
      purged: r.raw_purged_at !== null,
    }));
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Queued messages after queue entry `after`; `present` false: the message was deleted meanwhile. */
async function _queued(
  store: Store,
  after: number,
  limit: number,
  mailboxId: string | undefined,
): Promise<{ queueId: number; messageRowId: string; present: boolean; purged: boolean }[]> {
  try {
    const result = await store.client.execute({
      sql: `SELECT p.rowid AS queue_id, p.message_row_id, m.id AS present, m.raw_purged_at
            FROM message_text_queue AS p LEFT JOIN messages AS m ON m.id = p.message_row_id
            WHERE p.rowid > ?${mailboxId === undefined ? "" : " AND (m.mailbox_id = ? OR m.id IS NULL)"}
            ORDER BY p.rowid LIMIT ?`,
      args: mailboxId === undefined ? [after, limit] : [after, mailboxId, limit],
    });
    return result.rows.map((r) => ({
      queueId: Number(r.queue_id),
      messageRowId: String(r.message_row_id),
      present: r.present !== null,
      purged: r.raw_purged_at !== null,
    }));
  } catch (error) {
    throw toStoreError(error);
  }
}
