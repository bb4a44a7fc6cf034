/**
 * Opening the store: a libSQL client, drizzle over it, connection settings, and the migrations.
 *
 * @module
 */
import { type Client, createClient } from "@libsql/client";
import { MailregError } from "@mailreg/core";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { runCloseHooks } from "./_close-hooks.ts";
import type { AddressKeyDuplicate } from "./address-keys.ts";
import { ensureParentFolder, filePathOf, restrictDatabaseFiles } from "./file-path.ts";
import { migrate } from "./migrate.ts";
import * as schema from "./schema.ts";
import { registerWriteLock } from "./write-lock.ts";

/** The database URL used when none is given (DESIGN §3). */
export const DEFAULT_DATABASE_URL = "file:./data/mailreg.db";

/** How long a statement waits for another connection's lock on a `file:` database, in ms. */
export const BUSY_TIMEOUT_MS = 5000;

/** Connections a `file:` client keeps; each gets the connection settings at open. */
const _FILE_CONNECTIONS = 8;

/** The drizzle database over the store's schema. */
export type StoreDb = LibSQLDatabase<typeof schema>;

/** A drizzle transaction over the store's schema (what {@link StoreDb.transaction} hands its callback). */
export type StoreTx = Parameters<Parameters<StoreDb["transaction"]>[0]>[0];

/** An open store. */
export interface Store {
  /** drizzle over the schema in `schema.ts`; write through the query functions or `writeTransaction`. */
  readonly db: StoreDb;
  /** The libSQL client underneath. */
  readonly client: Client;
  /** The database URL without query or credentials (safe to log). */
  readonly url: string;
  /**
   * Files and folders whose permissions opening took away from group and others (an installation
   * from before they were created 0600/0700); empty or absent when nothing changed. Log it once.
   */
  readonly tightened?: readonly string[];
  /**
   * Mailboxes found, when address keys were filled in, to differ from an older one of their instance
   * only by case: reported, not merged (see `fillAddressKeys`). Empty when there are none. Log it.
   */
  readonly addressDuplicates?: readonly AddressKeyDuplicate[];
  /** Closes every connection. */
  close(): void;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * `file:path.db` (the embedded default, relative to the working directory), `file::memory:` (tests),
   * or `libsql://`, `http(s)://`, `ws(s)://` for a libSQL server. Default {@link DEFAULT_DATABASE_URL}.
   */
  url?: string;
  /** The libSQL server's auth token (remote URLs only). */
  authToken?: string;
}

/**
 * Opens (and creates, for a `file:` URL) the database and applies pending migrations.
 *
 * For a `file:` URL the parent folder is created and every connection runs in WAL mode with
 * `busy_timeout` {@link BUSY_TIMEOUT_MS}, `foreign_keys=ON` and `synchronous=NORMAL`. A remote URL
 * is handed to libSQL unchanged and gets no pragma.
 *
 * @param options where the database is
 * @returns the open, migrated store
 * @throws {MailregError} STORE_UNAVAILABLE when the database cannot be opened, MIGRATION_FAILED when
 *   a migration fails (the store is closed again in both cases)
 * @example
 * ```ts
 * import { openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * console.log(await store.client.execute("select count(*) as n from registrations"));
 * store.close();
 * ```
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const url = options.url ?? DEFAULT_DATABASE_URL;
  const safeUrl = _redactUrl(url);
  const path = filePathOf(url);
  let client: Client | undefined;
  let lockKey: string | undefined;
  let tightened: string[] = [];
  try {
    if (path !== undefined) {
      lockKey = await ensureParentFolder(path);
      tightened = await restrictDatabaseFiles(path);
      client = await _openFile(url);
    } else {
      client = createClient(
        options.authToken === undefined ? { url } : { url, authToken: options.authToken },
      );
      await client.execute("SELECT 1");
    }
  } catch (cause) {
    client?.close();
    throw new MailregError("STORE_UNAVAILABLE", `The database at ${safeUrl} cannot be opened`, {
      cause,
      details: { url: safeUrl },
    });
  }
  const opened = client;
  const addressDuplicates: AddressKeyDuplicate[] = [];
  const store: Store = {
    db: drizzle(opened, { schema }),
    client: opened,
    url: safeUrl,
    ...(tightened.length === 0 ? {} : { tightened }),
    addressDuplicates,
    close: () => {
      runCloseHooks(store);
      opened.close();
    },
  };
  registerWriteLock(store, lockKey);
  try {
    addressDuplicates.push(...(await migrate(store)));
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

/**
 * Opens a file database in WAL mode with every pooled connection configured. Switching a new file to
 * WAL takes an exclusive lock that SQLite's busy handler does not wait for, so several processes
 * opening the same new file at once can get SQLITE_BUSY here: that is retried, with a random pause,
 * for up to {@link BUSY_TIMEOUT_MS}.
 */
async function _openFile(url: string): Promise<Client> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    const client = createClient({ url, timeout: BUSY_TIMEOUT_MS, concurrency: _FILE_CONNECTIONS });
    try {
      // a new file only (an existing database keeps its page size): a 2–6 KB message fits one page
      // instead of spilling into overflow pages, which makes storing collected mail ≈ 25 % cheaper
      await client.execute("PRAGMA page_size=16384");
      await client.execute("PRAGMA journal_mode=WAL");
      await _configureConnections(client, _FILE_CONNECTIONS);
      return client;
    } catch (error) {
      client.close();
      if (!_isBusy(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    }
  }
}

function _isBusy(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/SQLITE_BUSY|database is locked/.test(`${(e as { code?: unknown }).code ?? ""} ${e.message}`))
      return true;
  }
  return false;
}

/**
 * Applies the per-connection settings to each of the client's pooled connections. A pragma cannot
 * change the safety level inside a transaction, and a transaction is the one way to hold a given
 * connection, so each held connection ends its transaction and then sets the pragmas.
 * A connection the pool opens later (after one broke) keeps SQLite's safer default `synchronous=FULL`.
 */
async function _configureConnections(client: Client, count: number): Promise<void> {
  const held = await Promise.all(Array.from({ length: count }, () => client.transaction("deferred")));
  try {
    for (const tx of held) {
      await tx.executeMultiple("COMMIT; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    }
  } finally {
    for (const tx of held) tx.close();
  }
}

/** `url` without query string or user info, so it can go into messages and logs. */
function _redactUrl(url: string): string {
  const noQuery = url.split(/[?#]/, 1)[0] ?? "";
  return noQuery.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
