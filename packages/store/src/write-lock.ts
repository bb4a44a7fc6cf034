/**
 * Write transactions, one at a time per database file in this process.
 *
 * libSQL's embedded driver runs SQLite synchronously on the JavaScript thread. While one write
 * transaction waits on an `await`, a second writer on another connection of the same file would
 * busy-wait for the lock *on the same thread*: the first can never finish, and after `busy_timeout`
 * the second fails with SQLITE_BUSY. So every write of this package goes through
 * {@link writeTransaction}, which queues writers per database file (stores opened on the same file in
 * one process share the queue). Other processes are kept apart by SQLite's own lock and the busy timeout.
 * Reads need no queue: in WAL mode they never wait for a writer.
 *
 * @module
 */
import type { Store, StoreTx } from "./store.ts";
import { toStoreError } from "./store-error.ts";

/** A FIFO of async critical sections. */
interface _Queue {
  tail: Promise<unknown>;
}

const _byFile = new Map<string, _Queue>();
const _byStore = new WeakMap<Store, _Queue>();

/**
 * Gives `store` its write queue: the one shared by every store on the same file when `fileKey` (the
 * database file's absolute path) is given, else a queue of its own. Called by `openStore`.
 *
 * @param store the store just opened
 * @param fileKey the database file's absolute path, or undefined for memory and remote databases
 */
export function registerWriteLock(store: Store, fileKey: string | undefined): void {
  let queue: _Queue | undefined = fileKey === undefined ? undefined : _byFile.get(fileKey);
  if (queue === undefined) {
    queue = { tail: Promise.resolve() };
    if (fileKey !== undefined) _byFile.set(fileKey, queue);
  }
  _byStore.set(store, queue);
}

/**
 * Runs `fn` in a write transaction (`BEGIN IMMEDIATE`), after every earlier write of this process to
 * the same database has finished. Commits when `fn` resolves, rolls back when it throws.
 * Do not call it again from inside `fn` (that would wait for itself): pass `tx` on instead.
 *
 * @param store the open store
 * @param fn the work, given the transaction
 * @returns what `fn` returns
 * @throws what `fn` throws; a locked or unreachable database as MailregError STORE_UNAVAILABLE
 * @example
 * ```ts
 * import { openStore, writeTransaction } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await writeTransaction(store, async (tx) => {
 *   await tx.run("insert into settings (key, value, updated_at) values ('k', '1', '2026-01-01T00:00:00.000Z')");
 * });
 * store.close();
 * ```
 */
export function writeTransaction<T>(store: Store, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
  return runExclusive(store, async () => {
    try {
      return await store.db.transaction(fn, { behavior: "immediate" });
    } catch (error) {
      throw toStoreError(error);
    }
  });
}

/**
 * Runs `fn` after every earlier write of this process to the same database has finished, and keeps
 * later ones waiting until it has. For writes that are not one drizzle transaction (the migrations).
 *
 * @param store the open store
 * @param fn the work
 * @returns what `fn` returns
 */
export function runExclusive<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  let queue = _byStore.get(store);
  if (queue === undefined) {
    queue = { tail: Promise.resolve() };
    _byStore.set(store, queue);
  }
  const run = queue.tail.then(fn);
  queue.tail = run.catch(() => undefined);
  return run;
}

/**
 * Runs `fn` in `target` when it is already a transaction, else in a new {@link writeTransaction}.
 * For functions that callers may use on their own or as one step of a larger transaction.
 *
 * @param target an open store, or the transaction to join
 * @param fn the work
 * @returns what `fn` returns
 */
export function inWriteTransaction<T>(target: Store | StoreTx, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
  return _isStore(target) ? writeTransaction(target, fn) : fn(target);
}

function _isStore(target: Store | StoreTx): target is Store {
  return "client" in target && "close" in target;
}
