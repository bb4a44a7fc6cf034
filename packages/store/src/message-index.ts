/**
 * The body indexer: fills `message_text.body` (and so the FTS5 index) with the searchable text of
 * each stored message whose body is not extracted yet. Header fields (subject, sender, recipients)
 * are indexed by the insert trigger as the message is stored; the body needs the MIME parser, so it
 * is extracted here, after the chunk committed (the worker runs it after each collection run).
 *
 * @module
 */
import { searchText } from "@mailreg/message";
import { readRawMessage } from "./messages-read.ts";
import type { Store } from "./store.ts";
import { toStoreError } from "./store-error.ts";
import { runExclusive } from "./write-lock.ts";

/** What {@link indexPendingMessageText} did. */
export interface IndexResult {
  /** Messages whose text body is now indexed. */
  indexed: number;
  /** Whether messages are still pending (the `limit` was reached). */
  more: boolean;
}

/**
 * Extracts and indexes the text body of stored messages not indexed yet, oldest first, in batches
 * (one write transaction per batch). A message whose raw source retention removed gets an empty
 * body; one that does not parse gets an empty body too (its header fields stay searchable).
 *
 * @param store the open store
 * @param options at most `limit` messages (default 10,000) in batches of `batch` (default 50);
 *   `mailboxId` restricts it to one mailbox
 * @returns how many were indexed and whether more are pending
 * @throws {MailregError} STORE_UNAVAILABLE when the database is locked or unreachable
 * @example
 * ```ts
 * import { indexPendingMessageText, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * console.log(await indexPendingMessageText(store)); // { indexed: 0, more: false }
 * store.close();
 * ```
 */
export async function indexPendingMessageText(
  store: Store,
  options: { limit?: number; batch?: number; mailboxId?: string } = {},
): Promise<IndexResult> {
  const limit = options.limit ?? 10_000;
  const batch = Math.max(1, Math.min(options.batch ?? 50, limit));
  let indexed = 0;
  let after = -1;
  while (indexed < limit) {
    const pending = await _pending(store, after, Math.min(batch, limit - indexed), options.mailboxId);
    if (pending.length === 0) return { indexed, more: false };
    const bodies: { docId: number; body: string }[] = [];
    for (const p of pending) {
      after = p.docId;
      let body = "";
      if (!p.purged) {
        try {
          body = await searchText(await readRawMessage(store, p.messageRowId));
        } catch {
          body = ""; // deleted meanwhile, or purged since: nothing to index
        }
      }
      bodies.push({ docId: p.docId, body });
    }
    await runExclusive(store, async () => {
      try {
        await store.client.batch(
          bodies.map((b) => ({
            sql: "UPDATE message_text SET body = ? WHERE doc_id = ? AND body IS NULL",
            args: [b.body, b.docId],
          })),
          "write",
        );
      } catch (error) {
        throw toStoreError(error);
      }
    });
    indexed += bodies.length;
  }
  const rest = await _pending(store, after, 1, options.mailboxId);
  return { indexed, more: rest.length > 0 };
}

async function _pending(
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
