/**
 * Retention: purging raw sources (metadata, routing records and the search index stay) and
 * deleting whole messages older than a cutoff, in batches, one write transaction per batch, so a
 * large purge never holds the database for long. Age is `stored_at`: when mailreg collected the
 * message. The server side (delete after fetch) is not touched.
 *
 * A purged message keeps its row with `raw = x''` and `raw_purged_at` set; nothing sends it to a
 * sink again. Deleting removes its search rows (triggers) and routing records (cascade); its dead
 * letters stay, without the message.
 *
 * Given `audit`, each batch that changed something writes one audit entry (`retention.purge-raw` or
 * `retention.delete`, subject the instance) in the same transaction as its change.
 *
 * @module
 */
import { and, eq, inArray, isNotNull, isNull, lt, notInArray, sql } from "drizzle-orm";
import { appendAudit } from "./audit.ts";
import { mailboxes, messages, messageText } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** Which messages a retention step looks at. */
export interface RetentionScope {
  /** Messages stored before this time. */
  before: Date;
  /** Only this instance's mailboxes (default every mailbox). */
  instanceId?: string;
  /** Only these mailboxes. */
  mailboxIds?: readonly string[];
  /** Not these mailboxes (e.g. POP3 mailboxes that leave mail on the server: deleted, it would be collected again). */
  exceptMailboxIds?: readonly string[];
  /** Messages per transaction. Default 500. */
  batchSize?: number;
  /** Who to name in the audit log (e.g. `worker:<id>`); without it nothing is audited. */
  audit?: { actor: string };
}

function _audit(tx: StoreTx, scope: RetentionScope, action: string, count: number): Promise<unknown> {
  if (scope.audit === undefined) return Promise.resolve();
  return appendAudit(tx, {
    actor: scope.audit.actor,
    action,
    subjectType: "instance",
    ...(scope.instanceId === undefined ? {} : { subjectId: scope.instanceId }),
    details: { messages: count, storedBefore: scope.before.toISOString() },
  });
}

/**
 * Purges the raw source of messages stored before `before`: `raw` becomes empty and
 * `raw_purged_at` is set; envelope, size, hash, flags, search text and routing records stay.
 * A message whose text body the search index has not extracted yet keeps its raw source until
 * it has (`indexPendingMessageText` extracts it; `requireIndexed: false` purges it anyway, losing
 * its body from search).
 *
 * @param store the open store
 * @param scope the cutoff, the instance, the batch size; `requireIndexed` (default true)
 * @returns how many raw sources were purged, and how many wait for the search index
 * @example
 * ```ts
 * import { openStore, purgeRawOlderThan } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * const before = new Date(Date.now() - 30 * 86_400_000);
 * console.log(await purgeRawOlderThan(store, { before })); // { purged: 0, waitingForIndex: 0 }
 * store.close();
 * ```
 */
export async function purgeRawOlderThan(
  store: Store,
  scope: RetentionScope & { requireIndexed?: boolean },
): Promise<{ purged: number; waitingForIndex: number }> {
  const indexed = sql`exists (select 1 from ${messageText} where ${messageText.messageRowId} = ${messages.id} and ${isNotNull(messageText.body)})`;
  const due = (tx: StoreTx) =>
    and(
      _scope(tx, scope),
      isNull(messages.rawPurgedAt),
      scope.requireIndexed === false ? undefined : indexed,
    );
  let purged = 0;
  for (;;) {
    const n = await writeTransaction(store, async (tx) => {
      const ids = await _ids(tx, due(tx), scope.batchSize);
      if (ids.length === 0) return 0;
      await tx
        .update(messages)
        .set({ raw: new Uint8Array(0), rawPurgedAt: new Date().toISOString() })
        .where(inArray(messages.id, ids))
        .run();
      await _audit(tx, scope, "retention.purge-raw", ids.length);
      return ids.length;
    });
    purged += n;
    if (n < (scope.batchSize ?? _BATCH)) break;
  }
  const waiting = await store.db
    .select({ n: sql<number>`count(*)` })
    .from(messages)
    .where(and(_scope(store.db, scope), isNull(messages.rawPurgedAt)))
    .get();
  return { purged, waitingForIndex: Number(waiting?.n ?? 0) };
}

/**
 * Deletes messages stored before `before`, with their search rows and routing records.
 *
 * @param store the open store
 * @param scope the cutoff, the instance, the batch size
 * @returns how many messages were deleted
 * @example
 * ```ts
 * import { deleteMessagesOlderThan, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * console.log(await deleteMessagesOlderThan(store, { before: new Date(Date.now() - 365 * 86_400_000) })); // 0
 * store.close();
 * ```
 */
export async function deleteMessagesOlderThan(store: Store, scope: RetentionScope): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await writeTransaction(store, async (tx) => {
      const ids = await _ids(tx, _scope(tx, scope), scope.batchSize);
      if (ids.length === 0) return 0;
      await tx.delete(messages).where(inArray(messages.id, ids)).run();
      await _audit(tx, scope, "retention.delete", ids.length);
      return ids.length;
    });
    deleted += n;
    if (n < (scope.batchSize ?? _BATCH)) break;
  }
  return deleted;
}

const _BATCH = 500;

function _scope(db: Store["db"] | StoreTx, scope: RetentionScope) {
  return and(
    lt(messages.storedAt, scope.before.toISOString()),
    scope.mailboxIds === undefined ? undefined : inArray(messages.mailboxId, [...scope.mailboxIds]),
    scope.exceptMailboxIds === undefined || scope.exceptMailboxIds.length === 0
      ? undefined
      : notInArray(messages.mailboxId, [...scope.exceptMailboxIds]),
    scope.instanceId === undefined
      ? undefined
      : inArray(
          messages.mailboxId,
          db.select({ id: mailboxes.id }).from(mailboxes).where(eq(mailboxes.instanceId, scope.instanceId)),
        ),
  );
}

async function _ids(tx: StoreTx, where: ReturnType<typeof and>, batchSize = _BATCH): Promise<string[]> {
  const rows = await tx
    .select({ id: messages.id })
    .from(messages)
    .where(where)
    .orderBy(messages.storedAt)
    .limit(Math.max(1, batchSize))
    .all();
  return rows.map((r) => r.id);
}
