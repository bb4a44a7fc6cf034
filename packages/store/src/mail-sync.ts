/**
 * What collecting mail reads and writes: per-folder sync state, collected messages (keyed by folder,
 * UIDVALIDITY and UID for IMAP, by UIDL for POP3), sync runs, and dead letters of sinks that gave up.
 *
 * Writes take a transaction (`writeTransaction(store, (tx) => …)`) so that a chunk of messages and
 * the folder state that covers them commit together; reads take the store or a transaction.
 *
 * @module
 */
import { newId } from "@mailreg/core";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { deadLetters, folderState, messages, syncRuns } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** A folder's saved sync state. */
export type FolderStateRow = typeof folderState.$inferSelect;
/** A message row to insert (`id` is generated when absent). */
export type NewMessageRow = Omit<typeof messages.$inferInsert, "id"> & { id?: string };
/** A collected message without its raw source. */
export type MessageMeta = Omit<typeof messages.$inferSelect, "raw">;
/** A sync run as stored. */
export type SyncRunRow = typeof syncRuns.$inferSelect;
/** A dead letter as stored. */
export type DeadLetterRow = typeof deadLetters.$inferSelect;

type _Db = Store["db"] | StoreTx;
const _db = (target: Store | StoreTx): _Db => ("client" in target && "close" in target ? target.db : target);

/** Rows per multi-row statement: SQLite allows 32,766 parameters, a message row has 16. */
const _ROWS_PER_INSERT = 500;

/**
 * Every saved folder state of a mailbox.
 *
 * @param target the store or a transaction
 * @param mailboxId the mailbox
 * @returns the rows, by folder
 */
export async function listFolderStates(
  target: Store | StoreTx,
  mailboxId: string,
): Promise<FolderStateRow[]> {
  return await _db(target)
    .select()
    .from(folderState)
    .where(eq(folderState.mailboxId, mailboxId))
    .orderBy(folderState.folder)
    .all();
}

/**
 * Saves a folder's state (insert or replace).
 *
 * @param tx the transaction that also commits the messages the state covers
 * @param row the state; `updatedAt` defaults to now
 */
export async function upsertFolderState(
  tx: StoreTx,
  row: Omit<FolderStateRow, "updatedAt"> & { updatedAt?: string },
): Promise<void> {
  const value = { ...row, updatedAt: row.updatedAt ?? new Date().toISOString() };
  await tx
    .insert(folderState)
    .values(value)
    .onConflictDoUpdate({ target: [folderState.mailboxId, folderState.folder], set: value })
    .run();
}

/**
 * Inserts messages, skipping any whose key (mailbox, folder, UIDVALIDITY, UID — or mailbox, UIDL)
 * is already stored: storing the same message twice is a no-op.
 *
 * @param tx the transaction
 * @param rows the messages
 * @returns the ids of the rows actually inserted
 */
export async function insertMessages(tx: StoreTx, rows: readonly NewMessageRow[]): Promise<string[]> {
  const inserted: string[] = [];
  for (let i = 0; i < rows.length; i += _ROWS_PER_INSERT) {
    const values = rows.slice(i, i + _ROWS_PER_INSERT).map((r) => ({ ...r, id: r.id ?? newId() }));
    const out = await tx
      .insert(messages)
      .values(values)
      .onConflictDoNothing()
      .returning({ id: messages.id })
      .all();
    for (const row of out) inserted.push(row.id);
  }
  return inserted;
}

/**
 * The stored messages of a folder with the given UIDs under one UIDVALIDITY.
 *
 * @param target the store or a transaction
 * @param key mailbox, folder and UIDVALIDITY
 * @param uids the UIDs (any number; queried in slices)
 * @returns id, uid and flags of those stored
 */
export async function findMessagesByUid(
  target: Store | StoreTx,
  key: { mailboxId: string; folder: string; uidvalidity: number },
  uids: readonly number[],
): Promise<{ id: string; uid: number; flags: string[] }[]> {
  const out: { id: string; uid: number; flags: string[] }[] = [];
  for (let i = 0; i < uids.length; i += _ROWS_PER_INSERT) {
    const rows = await _db(target)
      .select({ id: messages.id, uid: messages.uid, flags: messages.flags })
      .from(messages)
      .where(
        and(
          eq(messages.mailboxId, key.mailboxId),
          eq(messages.folder, key.folder),
          eq(messages.uidvalidity, key.uidvalidity),
          inArray(messages.uid, uids.slice(i, i + _ROWS_PER_INSERT) as number[]),
        ),
      )
      .all();
    for (const r of rows) if (r.uid !== null) out.push({ id: r.id, uid: r.uid, flags: r.flags });
  }
  return out;
}

/**
 * Whether a folder holds messages stored under another UIDVALIDITY than `uidvalidity` (it was
 * deleted and recreated, or the server renumbered it): new messages must then be matched against
 * them by content before they are inserted.
 *
 * @param target the store or a transaction
 * @param key mailbox, folder and the current UIDVALIDITY
 * @returns true when there are such messages
 */
export async function hasMessagesUnderOtherUidvalidity(
  target: Store | StoreTx,
  key: { mailboxId: string; folder: string; uidvalidity: number },
): Promise<boolean> {
  const row = await _db(target)
    .select({ one: sql<number>`1` })
    .from(messages)
    .where(
      and(
        eq(messages.mailboxId, key.mailboxId),
        eq(messages.folder, key.folder),
        ne(messages.uidvalidity, key.uidvalidity),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

/**
 * Messages of a folder stored under another UIDVALIDITY whose content hash is one of `hashes`:
 * the candidates to re-key instead of storing the same message again.
 *
 * @param target the store or a transaction
 * @param key mailbox, folder and the current UIDVALIDITY
 * @param hashes content hashes (hex SHA-256)
 * @returns id, hash and Message-ID of each candidate
 */
export async function findMessagesUnderOtherUidvalidity(
  target: Store | StoreTx,
  key: { mailboxId: string; folder: string; uidvalidity: number },
  hashes: readonly string[],
): Promise<{ id: string; contentHash: string; messageId: string | null }[]> {
  if (hashes.length === 0) return [];
  return await _db(target)
    .select({ id: messages.id, contentHash: messages.contentHash, messageId: messages.messageId })
    .from(messages)
    .where(
      and(
        eq(messages.mailboxId, key.mailboxId),
        eq(messages.folder, key.folder),
        ne(messages.uidvalidity, key.uidvalidity),
        inArray(messages.contentHash, hashes as string[]),
      ),
    )
    .all();
}

/**
 * Gives a stored message its new key (after a UIDVALIDITY change) and current flags.
 *
 * @param tx the transaction
 * @param id the message row
 * @param next the new UIDVALIDITY, UID and flags
 */
export async function rekeyMessage(
  tx: StoreTx,
  id: string,
  next: { uidvalidity: number; uid: number; flags: string[] },
): Promise<void> {
  await tx.update(messages).set(next).where(eq(messages.id, id)).run();
}

/**
 * Replaces a stored message's flags.
 *
 * @param tx the transaction
 * @param id the message row
 * @param flags the flags now
 */
export async function updateMessageFlags(tx: StoreTx, id: string, flags: readonly string[]): Promise<void> {
  await tx
    .update(messages)
    .set({ flags: [...flags] })
    .where(eq(messages.id, id))
    .run();
}

/**
 * Which of `uidls` are already stored for the mailbox (POP3).
 *
 * @param target the store or a transaction
 * @param mailboxId the mailbox
 * @param uidls POP3 unique ids
 * @returns the stored ones
 */
export async function findStoredUidls(
  target: Store | StoreTx,
  mailboxId: string,
  uidls: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < uidls.length; i += _ROWS_PER_INSERT) {
    const rows = await _db(target)
      .select({ uidl: messages.uidl })
      .from(messages)
      .where(
        and(
          eq(messages.mailboxId, mailboxId),
          inArray(messages.uidl, uidls.slice(i, i + _ROWS_PER_INSERT) as string[]),
        ),
      )
      .all();
    for (const r of rows) if (r.uidl !== null) out.add(r.uidl);
  }
  return out;
}

/**
 * One stored message with its raw source.
 *
 * @param target the store or a transaction
 * @param id the message row
 * @returns the row, or undefined
 */
export async function getMessage(
  target: Store | StoreTx,
  id: string,
): Promise<typeof messages.$inferSelect | undefined> {
  return await _db(target).select().from(messages).where(eq(messages.id, id)).get();
}

/**
 * How many messages are stored for a mailbox (and folder).
 *
 * @param target the store or a transaction
 * @param mailboxId the mailbox
 * @param folder only this folder
 * @returns the count
 */
export async function countMessages(
  target: Store | StoreTx,
  mailboxId: string,
  folder?: string,
): Promise<number> {
  const row = await _db(target)
    .select({ n: sql<number>`count(*)` })
    .from(messages)
    .where(
      folder === undefined
        ? eq(messages.mailboxId, mailboxId)
        : and(eq(messages.mailboxId, mailboxId), eq(messages.folder, folder)),
    )
    .get();
  return Number(row?.n ?? 0);
}

/**
 * Records the start of a sync run.
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @returns the run's id
 */
export async function startSyncRun(store: Store, mailboxId: string): Promise<string> {
  const id = newId();
  await writeTransaction(store, async (tx) => {
    await tx
      .insert(syncRuns)
      .values({ id, mailboxId, startedAt: new Date().toISOString(), status: "running" })
      .run();
  });
  return id;
}

/**
 * Records how a sync run ended.
 *
 * @param store the open store
 * @param id the run
 * @param result status, counts and, when it failed, the error code and message (never a secret)
 */
export async function finishSyncRun(
  store: Store,
  id: string,
  result: {
    status: "ok" | "failed";
    fetched: number;
    deleted: number;
    errorCode?: string;
    errorMessage?: string;
  },
): Promise<void> {
  await writeTransaction(store, async (tx) => {
    await tx
      .update(syncRuns)
      .set({
        status: result.status,
        fetched: result.fetched,
        deleted: result.deleted,
        errorCode: result.errorCode ?? null,
        errorMessage: result.errorMessage ?? null,
        finishedAt: new Date().toISOString(),
      })
      .where(eq(syncRuns.id, id))
      .run();
  });
}

/**
 * The latest sync runs of a mailbox, newest first.
 *
 * @param target the store or a transaction
 * @param mailboxId the mailbox
 * @param options how many (default 20, at most 1,000)
 * @returns the runs
 */
export async function listSyncRuns(
  target: Store | StoreTx,
  mailboxId: string,
  options: { limit?: number } = {},
): Promise<SyncRunRow[]> {
  return await _db(target)
    .select()
    .from(syncRuns)
    .where(eq(syncRuns.mailboxId, mailboxId))
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(pageLimit(options.limit, 20, 1000))
    .all();
}

/**
 * Keeps events a sink gave up on.
 *
 * @param tx the transaction (the one that stores the messages they refer to)
 * @param rows the dead letters; `id` and `createdAt` are generated when absent
 */
export async function addDeadLetters(
  tx: StoreTx,
  rows: readonly (Omit<DeadLetterRow, "id" | "createdAt"> & { id?: string; createdAt?: string })[],
): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date().toISOString();
  await tx
    .insert(deadLetters)
    .values(rows.map((r) => ({ ...r, id: r.id ?? newId(), createdAt: r.createdAt ?? now })))
    .run();
}

/**
 * Dead letters, newest first.
 *
 * @param target the store or a transaction
 * @param options only one mailbox's; how many (default 100, at most 1,000)
 * @returns the dead letters
 */
export async function listDeadLetters(
  target: Store | StoreTx,
  options: { mailboxId?: string; limit?: number } = {},
): Promise<DeadLetterRow[]> {
  return await _db(target)
    .select()
    .from(deadLetters)
    .where(options.mailboxId === undefined ? undefined : eq(deadLetters.mailboxId, options.mailboxId))
    .orderBy(desc(deadLetters.createdAt), desc(deadLetters.id))
    .limit(pageLimit(options.limit, 100, 1000))
    .all();
}

/**
 * Drops a dead letter (after it was delivered again, or by the administrator).
 *
 * @param store the open store
 * @param id the dead letter
 * @returns true when it existed
 */
export async function deleteDeadLetter(store: Store, id: string): Promise<boolean> {
  return await writeTransaction(store, async (tx) => {
    const result = await tx.delete(deadLetters).where(eq(deadLetters.id, id)).run();
    return result.rowsAffected > 0;
  });
}
