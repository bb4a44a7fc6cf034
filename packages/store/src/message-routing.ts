/**
 * Where each stored message was handed on (routing rules choose the sinks), and what became of it
 * there: `message_sinks`, one row per message and sink. Also what re-running the rules over stored
 * messages and retrying a dead letter read and write.
 *
 * States: `delivered`; `dropped` (the rules sent it to other sinks or none: re-running new rules
 * may still deliver it); `failed` (the sink threw; a dead letter is kept); `dead-letter` (the sink
 * gave up after its retries; a dead letter is kept). A message is delivered to a sink at most once
 * by a re-run: rows in state delivered, failed or dead-letter are skipped (the last two are retried
 * from the dead-letter list).
 *
 * @module
 */
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { deadLetters, mailboxes, messageSinks, messages } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { inWriteTransaction, writeTransaction } from "./write-lock.ts";

/** What became of a message at one sink. */
export type SinkState = "delivered" | "dropped" | "failed" | "dead-letter";

/** One message's outcome at one sink, as stored. */
export type MessageSinkRow = typeof messageSinks.$inferSelect;

/** What {@link recordSinkResults} records. */
export interface SinkResult {
  messageRowId: string;
  /** The sink's id (a config id such as `crm`, or `webhook:https://…`; never a credential). */
  sink: string;
  state: SinkState;
  /** Delivery attempts this time (added to the attempts recorded before). Default 0 for dropped, else 1. */
  attempts?: number;
  lastError?: string | null;
}

type _Db = Store["db"] | StoreTx;
const _db = (target: Store | StoreTx): _Db => ("client" in target && "close" in target ? target.db : target);

/** Rows per statement: a result row has 6 parameters. */
const _ROWS = 500;

/**
 * Records outcomes, one per message and sink (a later outcome replaces the state and error and adds
 * its attempts), on its own or as one step of the caller's transaction.
 *
 * @param target the open store, or a transaction to join
 * @param results the outcomes; a message that no longer exists is skipped
 * @returns how many were recorded
 * @example
 * ```ts
 * import { openStore, recordSinkResults } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * console.log(await recordSinkResults(store, [])); // 0
 * store.close();
 * ```
 */
export async function recordSinkResults(
  target: Store | StoreTx,
  results: readonly SinkResult[],
): Promise<number> {
  if (results.length === 0) return 0;
  const at = new Date().toISOString();
  return await inWriteTransaction(target, async (tx) => {
    const ids = [...new Set(results.map((r) => r.messageRowId))];
    const existing = new Set<string>();
    for (let i = 0; i < ids.length; i += _ROWS) {
      const rows = await tx
        .select({ id: messages.id })
        .from(messages)
        .where(inArray(messages.id, ids.slice(i, i + _ROWS)))
        .all();
      for (const r of rows) existing.add(r.id);
    }
    const rows = results
      .filter((r) => existing.has(r.messageRowId))
      .map((r) => ({
        messageRowId: r.messageRowId,
        sink: r.sink,
        state: r.state,
        attempts: r.attempts ?? (r.state === "dropped" ? 0 : 1),
        lastError: r.lastError === undefined || r.lastError === null ? null : r.lastError.slice(0, 500),
        updatedAt: at,
      }));
    for (let i = 0; i < rows.length; i += _ROWS) {
      await tx
        .insert(messageSinks)
        .values(rows.slice(i, i + _ROWS))
        .onConflictDoUpdate({
          target: [messageSinks.messageRowId, messageSinks.sink],
          set: {
            state: sql`excluded.state`,
            attempts: sql`${messageSinks.attempts} + excluded.attempts`,
            lastError: sql`excluded.last_error`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        .run();
    }
    return rows.length;
  });
}

/**
 * Records one outcome; see {@link recordSinkResults}.
 *
 * @param target the open store, or a transaction to join
 * @param result message, sink, state, attempts, error
 * @returns true when recorded (false: the message no longer exists)
 */
export async function recordSinkResult(target: Store | StoreTx, result: SinkResult): Promise<boolean> {
  return (await recordSinkResults(target, [result])) === 1;
}

/**
 * The sinks a message was handed to (or dropped from), and their state.
 *
 * @param target the store or a transaction
 * @param messageRowId the message
 * @returns its rows, by sink
 */
export async function listMessageSinks(
  target: Store | StoreTx,
  messageRowId: string,
): Promise<MessageSinkRow[]> {
  return await _db(target)
    .select()
    .from(messageSinks)
    .where(eq(messageSinks.messageRowId, messageRowId))
    .orderBy(asc(messageSinks.sink))
    .all();
}

/**
 * The sink states of many messages at once (for re-running rules page by page).
 *
 * @param target the store or a transaction
 * @param messageRowIds the messages
 * @returns message id → sink → state (messages without rows are absent)
 */
export async function sinkStatesOf(
  target: Store | StoreTx,
  messageRowIds: readonly string[],
): Promise<Map<string, Map<string, SinkState>>> {
  const out = new Map<string, Map<string, SinkState>>();
  for (let i = 0; i < messageRowIds.length; i += _ROWS) {
    const rows = await _db(target)
      .select({ id: messageSinks.messageRowId, sink: messageSinks.sink, state: messageSinks.state })
      .from(messageSinks)
      .where(inArray(messageSinks.messageRowId, messageRowIds.slice(i, i + _ROWS) as string[]))
      .all();
    for (const r of rows) {
      let sinks = out.get(r.id);
      if (sinks === undefined) {
        sinks = new Map();
        out.set(r.id, sinks);
      }
      sinks.set(r.sink, r.state);
    }
  }
  return out;
}

/** A stored message without its raw source, as re-running rules pages through them. */
export interface StoredMessageRef {
  id: string;
  mailboxId: string;
  folder: string;
  uidvalidity: number | null;
  uid: number | null;
  uidl: string | null;
  size: number;
  /** Null while the raw source is present; when retention purged it. */
  rawPurgedAt: string | null;
}

/**
 * Stored messages in the order they were stored (by id), a page at a time, without raw sources.
 *
 * @param target the store or a transaction
 * @param options only these mailboxes, or an instance's; after this id (the cursor); page size
 *   (default 500, at most 5,000)
 * @returns the page (shorter than `limit` at the end)
 */
export async function listStoredMessageRefs(
  target: Store | StoreTx,
  options: { mailboxIds?: readonly string[]; instanceId?: string; after?: string; limit?: number } = {},
): Promise<StoredMessageRef[]> {
  const db = _db(target);
  return await db
    .select({
      id: messages.id,
      mailboxId: messages.mailboxId,
      folder: messages.folder,
      uidvalidity: messages.uidvalidity,
      uid: messages.uid,
      uidl: messages.uidl,
      size: messages.size,
      rawPurgedAt: messages.rawPurgedAt,
    })
    .from(messages)
    .where(
      and(
        options.mailboxIds === undefined
          ? undefined
          : inArray(messages.mailboxId, options.mailboxIds as string[]),
        options.instanceId === undefined
          ? undefined
          : inArray(
              messages.mailboxId,
              db
                .select({ id: mailboxes.id })
                .from(mailboxes)
                .where(eq(mailboxes.instanceId, options.instanceId)),
            ),
        options.after === undefined ? undefined : gt(messages.id, options.after),
      ),
    )
    .orderBy(asc(messages.id))
    .limit(pageLimit(options.limit, 500, 5000))
    .all();
}

/** A dead letter as stored. */
export type DeadLetterEntry = typeof deadLetters.$inferSelect;

/**
 * One dead letter.
 *
 * @param target the store or a transaction
 * @param id the dead letter
 * @returns it, or undefined
 */
export async function getDeadLetter(
  target: Store | StoreTx,
  id: string,
): Promise<DeadLetterEntry | undefined> {
  return await _db(target).select().from(deadLetters).where(eq(deadLetters.id, id)).get();
}

/**
 * Records another failed try of a dead letter: its attempts grow and its last error is replaced.
 *
 * @param store the open store
 * @param id the dead letter
 * @param attempt the tries made now and the error they ended with (never a secret)
 * @returns true when the dead letter exists
 */
export async function recordDeadLetterAttempt(
  store: Store,
  id: string,
  attempt: { attempts: number; lastError: string },
): Promise<boolean> {
  return await writeTransaction(store, async (tx) => {
    const result = await tx
      .update(deadLetters)
      .set({
        attempts: sql`${deadLetters.attempts} + ${attempt.attempts}`,
        lastError: attempt.lastError.slice(0, 500),
      })
      .where(eq(deadLetters.id, id))
      .run();
    return result.rowsAffected > 0;
  });
}
