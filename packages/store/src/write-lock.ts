/**
 * Write transactions, one at a time per database file in this process, and taking the file's write
 * lock without stalling the process.
 *
 * libSQL's embedded driver runs SQLite synchronously on the JavaScript thread. While one write
 * transaction waits on an `await`, a second writer on another connection of the same file would
 * busy-wait for the lock *on the same thread*: the first can never finish, and after `busy_timeout`
 * the second fails with SQLITE_BUSY. So every write of this package goes through
 * {@link writeTransaction}, which queues writers per database file (stores opened on the same file in
 * one process share the queue). Reads need no queue: in WAL mode they never wait for a writer.
 *
 * Other processes on the same file (several workers) are kept apart by SQLite's write lock. SQLite's
 * own busy handler waits for it by *sleeping* (1, 2, 5 … 100 ms at a time), which on this driver
 * blocks the whole event loop: every IMAP connection of a worker stalls while another process
 * commits. So for a `file:` database the lock is taken here instead, politely: a transaction asks for
 * it with the busy timeout off and, while another process holds it, waits on a timer (1–8 ms) and asks
 * again, for up to the busy timeout, so the process's other work goes on meanwhile.
 *
 * @module
 */
import type { Transaction } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import * as schema from "./schema.ts";
import { BUSY_TIMEOUT_MS, type Store, type StoreDb, type StoreTx } from "./store.ts";
import { toStoreError } from "./store-error.ts";

/** A FIFO of async critical sections, and how writes to its database take the lock. */
interface _Queue {
  tail: Promise<unknown>;
  /** A `file:` database (other processes may write it): take its write lock politely. */
  polite: boolean;
}

/** A table every migrated database has; a no-op `DELETE` on it takes the write lock. */
const _LOCK_PROBE = "DELETE FROM settings WHERE 0";

/** drizzle over a store whose transactions take the write lock politely (built on first use). */
const _politeDb = new WeakMap<Store, StoreDb>();

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
    queue = { tail: Promise.resolve(), polite: fileKey !== undefined };
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
  const queue = _queueOf(store);
  return _exclusive(queue, async () => {
    try {
      if (queue.polite) return await _politeDrizzle(store).transaction(fn);
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
  const queue = _queueOf(store);
  if (!queue.polite) return _exclusive(queue, fn);
  return _exclusive(queue, async () => {
    // wait here (not in SQLite's sleeping busy handler) until no other process writes, then let
    // `fn` begin its own transaction at once
    const held = await _politeBegin(store).catch(() => undefined);
    held?.close();
    return await fn();
  });
}

function _queueOf(store: Store): _Queue {
  let queue = _byStore.get(store);
  if (queue === undefined) {
    queue = { tail: Promise.resolve(), polite: false };
    _byStore.set(store, queue);
  }
  return queue;
}

function _exclusive<T>(queue: _Queue, fn: () => Promise<T>): Promise<T> {
  const run = queue.tail.then(fn);
  queue.tail = run.catch(() => undefined);
  return run;
}

/**
 * A transaction on one of the store's connections that holds the database's write lock, taken
 * without SQLite's busy handler: `BEGIN DEFERRED`, then a no-op write with `busy_timeout` 0; while
 * another connection holds the lock, a timer and again. The failed write took no snapshot, so the
 * retry sees the other's commit. Throws SQLITE_BUSY after {@link BUSY_TIMEOUT_MS}; anything else
 * (a database not migrated yet has no `settings`) as it comes, with the transaction closed.
 */
async function _politeBegin(store: Store): Promise<Transaction> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const tx = await store.client.transaction("deferred");
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        // exec, not a prepared statement: a statement that failed stays open until it is garbage
        // collected, and the connection could not commit meanwhile
        await tx.executeMultiple(
          `PRAGMA busy_timeout=0; ${_LOCK_PROBE}; PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`,
        );
        return tx;
      } catch (error) {
        await tx.executeMultiple(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
        if (!_isBusy(error) || Date.now() >= deadline) throw error;
      }
      const ms = Math.min(1 + attempt, 8) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  } catch (error) {
    tx.close();
    throw error;
  }
}

/** drizzle over the store's client, but whose transactions begin with {@link _politeBegin}. */
function _politeDrizzle(store: Store): StoreDb {
  let db = _politeDb.get(store);
  if (db === undefined) {
    const client = store.client;
    const polite = new Proxy(client, {
      get(target, key) {
        if (key === "transaction") return () => _politeBegin(store);
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    db = drizzle({ client: polite, schema });
    _politeDb.set(store, db);
  }
  return db;
}

function _isBusy(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/SQLITE_BUSY|database is locked/.test(`${(e as { code?: unknown }).code ?? ""} ${e.message}`))
      return true;
  }
  return false;
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
