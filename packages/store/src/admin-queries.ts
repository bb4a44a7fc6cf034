/**
 * Reads for an administrator's screens: registrations filtered and searched (newest first), each
 * mailbox's sync state (last run, last error, messages stored), and the audit log newest first.
 *
 * @module
 */
import type { RegistrationRecord, RegistrationStatus } from "@mailreg/core";
import { and, count, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import type { AuditEntry } from "./audit.ts";
import { pageLimit } from "./paging.ts";
import { registrationFromRow } from "./registrations.ts";
import { auditLog, messages, registrations, syncRuns } from "./schema.ts";
import type { Store } from "./store.ts";

/** Filter and cursor of {@link searchRegistrations}. */
export interface SearchRegistrationsOptions {
  /** Only registrations with this status. */
  status?: RegistrationStatus;
  /** Only those whose address, display name or login contains this text (case-insensitive for ASCII). */
  query?: string;
  /** At most this many (1 to 1000, default 100). */
  limit?: number;
  /** Only ids before this one (the last id of the previous page). */
  before?: string;
}

/**
 * Registrations newest first, by status and a search text.
 *
 * @param store the open store
 * @param options status, search text, page size and cursor
 * @returns up to `limit` records; pass the last one's id as `before` for the next page
 * @example
 * ```ts
 * import { openStore, searchRegistrations } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * console.log(await searchRegistrations(store, { status: "pending", query: "example.com" }));
 * store.close();
 * ```
 */
export async function searchRegistrations(
  store: Store,
  options: SearchRegistrationsOptions = {},
): Promise<RegistrationRecord[]> {
  const limit = pageLimit(options.limit, 100, 1000);
  const text = options.query?.trim().toLowerCase();
  const contains = (column: SQL | AnySQLiteColumn) => sql`instr(lower(${column}), ${text}) > 0`;
  const rows = await store.db
    .select()
    .from(registrations)
    .where(
      and(
        options.status === undefined ? undefined : eq(registrations.status, options.status),
        options.before === undefined ? undefined : lt(registrations.id, options.before),
        text === undefined || text === ""
          ? undefined
          : or(
              contains(registrations.address),
              contains(sql`coalesce(${registrations.displayName}, '')`),
              contains(registrations.login),
            ),
      ),
    )
    .orderBy(desc(registrations.id))
    .limit(limit)
    .all();
  return rows.map(registrationFromRow);
}

/** A finished or running collection of a mailbox. */
export type SyncRun = typeof syncRuns.$inferSelect;

/** How a mailbox's collection stands. */
export interface MailboxSyncState {
  /** The latest run (running, ok or failed), if any. */
  lastRun?: SyncRun;
  /** The latest failed run, if any (it may be older than `lastRun`). */
  lastError?: SyncRun;
  /** Messages stored for the mailbox. */
  messages: number;
}

/**
 * The sync state of each given mailbox (those never collected have `{ messages: 0 }`).
 *
 * @param store the open store
 * @param mailboxIds the mailboxes
 * @returns the state by mailbox id
 */
export async function mailboxSyncStates(
  store: Store,
  mailboxIds: readonly string[],
): Promise<Map<string, MailboxSyncState>> {
  const states = new Map<string, MailboxSyncState>(mailboxIds.map((id) => [id, { messages: 0 }]));
  if (mailboxIds.length === 0) return states;
  const ids = [...mailboxIds];
  const latest = (failedOnly: boolean) =>
    store.db
      .select()
      .from(syncRuns)
      .where(
        and(
          inArray(syncRuns.mailboxId, ids),
          sql`${syncRuns.startedAt} = (select max(r.started_at) from sync_runs r where r.mailbox_id = ${syncRuns.mailboxId}${failedOnly ? sql` and r.status = 'failed'` : sql``})`,
        ),
      )
      .all();
  const [runs, failed, counts] = await Promise.all([
    latest(false),
    latest(true),
    store.db
      .select({ mailboxId: messages.mailboxId, n: count() })
      .from(messages)
      .where(inArray(messages.mailboxId, ids))
      .groupBy(messages.mailboxId)
      .all(),
  ]);
  for (const run of runs) states.get(run.mailboxId)!.lastRun = run;
  for (const run of failed) states.get(run.mailboxId)!.lastError = run;
  for (const { mailboxId, n } of counts) states.get(mailboxId)!.messages = n;
  return states;
}

/**
 * Audit entries newest first.
 *
 * @param store the open store
 * @param options page size (default 100, at most 1000) and cursor (only ids below `before`)
 * @returns up to `limit` entries
 */
export async function listRecentAudit(
  store: Store,
  options: { limit?: number; before?: number } = {},
): Promise<AuditEntry[]> {
  const limit = pageLimit(options.limit, 100, 1000);
  return await store.db
    .select()
    .from(auditLog)
    .where(options.before === undefined ? undefined : lt(auditLog.id, options.before))
    .orderBy(desc(auditLog.id))
    .limit(limit)
    .all();
}
