/**
 * What the worker and the admin share about collecting mail: leases (one worker per mailbox at a
 * time, across processes), "sync now" requests, per-mailbox schedule settings, and when each
 * mailbox is due next — computed from `sync_runs`, so every process (and the admin) agrees.
 *
 * - A lease is one row of `leases`: {@link acquireLease} takes it atomically when it is free or
 *   expired, {@link renewLease} keeps it while syncing, {@link releaseLease} drops it. A crashed
 *   worker's lease expires and another takes it over; its unfinished run is then closed as
 *   `SYNC_INTERRUPTED` ({@link finishInterruptedRuns}).
 * - A "sync now" request is a `settings` row `worker.sync-request:<mailbox id>` ({@link requestSync});
 *   workers poll for them every second.
 * - When a mailbox is due ({@link nextSyncDue}): asked for now; never collected; interrupted; else
 *   the last run's end plus its interval (mailbox → instance schedule → worker default), or after a
 *   failure an exponential backoff; plus up to 10 % jitter so mailboxes spread out.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { and, eq, lte, sql } from "drizzle-orm";
import type { Mailbox } from "./mailboxes.ts";
import { leases, mailboxes, settings, syncRuns } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { inWriteTransaction, writeTransaction } from "./write-lock.ts";

/** The `settings` key prefix of "sync now" requests; the mailbox id follows. */
export const SYNC_REQUEST_PREFIX = "worker.sync-request:";

/** The error code of a run that ended unfinished because its worker stopped or died. */
export const SYNC_INTERRUPTED = "SYNC_INTERRUPTED";

/** The longest backoff after repeated failures, unless the interval itself is longer: one hour. */
export const MAX_BACKOFF_SECONDS = 3600;

/** The worker's default interval when neither mailbox nor instance sets one (config `worker.intervalSeconds`). */
const _DEFAULT_INTERVAL_SECONDS = 300;

/** A lease as stored. */
export type Lease = typeof leases.$inferSelect;

/** Who takes or keeps a lease, and for how long. */
export interface LeaseInput {
  mailboxId: string;
  /** The worker's id (unique per process). */
  owner: string;
  /** How long the lease lasts from `now`. */
  seconds: number;
  /** Default now. */
  now?: Date;
}

/**
 * Takes a mailbox's lease when nobody holds it, its holder's lease expired, or `owner` holds it
 * already: one atomic `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at < now`.
 *
 * @param store the open store
 * @param input mailbox, owner, length
 * @returns true when `owner` now holds the lease
 * @example
 * ```ts
 * import { acquireLease, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * if (await acquireLease(store, { mailboxId: "0193…", owner: "worker-1", seconds: 120 })) {
 *   // collect it, renewLease() every 40 s, then releaseLease()
 * }
 * store.close();
 * ```
 */
export async function acquireLease(store: Store, input: LeaseInput): Promise<boolean> {
  const now = input.now ?? new Date();
  const expiresAt = new Date(now.getTime() + input.seconds * 1000).toISOString();
  const result = await writeTransaction(store, (tx) =>
    tx.run(sql`
      insert into leases (mailbox_id, owner, expires_at) values (${input.mailboxId}, ${input.owner}, ${expiresAt})
      on conflict (mailbox_id) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where leases.expires_at < ${now.toISOString()} or leases.owner = excluded.owner`),
  );
  return result.rowsAffected > 0;
}

/**
 * Extends a lease `owner` still holds.
 *
 * @param store the open store
 * @param input mailbox, owner, new length from now
 * @returns false when the lease is gone or another worker took it (stop syncing then)
 */
export async function renewLease(store: Store, input: LeaseInput): Promise<boolean> {
  const expiresAt = new Date((input.now ?? new Date()).getTime() + input.seconds * 1000).toISOString();
  const result = await writeTransaction(store, (tx) =>
    tx
      .update(leases)
      .set({ expiresAt })
      .where(and(eq(leases.mailboxId, input.mailboxId), eq(leases.owner, input.owner)))
      .run(),
  );
  return result.rowsAffected > 0;
}

/**
 * Drops a lease `owner` holds (another owner's lease is left alone).
 *
 * @param store the open store
 * @param input mailbox and owner
 * @returns true when it was held
 */
export async function releaseLease(
  store: Store,
  input: { mailboxId: string; owner: string },
): Promise<boolean> {
  const result = await writeTransaction(store, (tx) =>
    tx
      .delete(leases)
      .where(and(eq(leases.mailboxId, input.mailboxId), eq(leases.owner, input.owner)))
      .run(),
  );
  return result.rowsAffected > 0;
}

/**
 * The leases that have not expired: which worker collects which mailbox right now.
 *
 * @param store the open store
 * @param now default now
 * @returns the live leases
 */
export async function listLeases(store: Store, now: Date = new Date()): Promise<Lease[]> {
  return await store.db
    .select()
    .from(leases)
    .where(sql`${leases.expiresAt} >= ${now.toISOString()}`)
    .orderBy(leases.mailboxId)
    .all();
}

/** A pending "sync now". */
export interface SyncRequest {
  mailboxId: string;
  /** When it was (last) asked for. */
  requestedAt: string;
  /** Who asked, if known. */
  actor: string | null;
}

/**
 * Asks the workers to collect a mailbox now (the admin's "sync now"): a worker picks it up within
 * about a second, also when auto-fetch is off or the mailbox is backing off after failures. Asking
 * again before it ran moves the request's time; asking during a run gets one more run after it.
 *
 * @param target the open store, or a transaction to join
 * @param mailboxId the mailbox
 * @param options who asks, when (default now)
 * @throws {MailregError} NOT_FOUND when the mailbox does not exist
 * @example
 * ```ts
 * import { openStore, requestSync } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * await requestSync(store, "0193…", { actor: "admin" });
 * store.close();
 * ```
 */
export async function requestSync(
  target: Store | StoreTx,
  mailboxId: string,
  options: { actor?: string; now?: Date } = {},
): Promise<void> {
  const updatedAt = (options.now ?? new Date()).toISOString();
  const value = { actor: options.actor ?? null };
  await inWriteTransaction(target, async (tx) => {
    const found = await tx
      .select({ id: mailboxes.id })
      .from(mailboxes)
      .where(eq(mailboxes.id, mailboxId))
      .get();
    if (found === undefined) {
      throw new MailregError("NOT_FOUND", `Mailbox ${mailboxId} does not exist`, {
        details: { id: mailboxId },
      });
    }
    await tx
      .insert(settings)
      .values({ key: `${SYNC_REQUEST_PREFIX}${mailboxId}`, value, updatedAt })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt } })
      .run();
  });
}

/**
 * The pending "sync now" requests, oldest first.
 *
 * @param store the open store
 * @returns the requests
 */
export async function listSyncRequests(store: Store): Promise<SyncRequest[]> {
  const rows = await store.db
    .select()
    .from(settings)
    .where(
      and(
        sql`${settings.key} >= ${SYNC_REQUEST_PREFIX}`,
        sql`${settings.key} < ${`${SYNC_REQUEST_PREFIX.slice(0, -1)};`}`,
      ),
    )
    .orderBy(settings.updatedAt)
    .all();
  return rows.map((r) => ({
    mailboxId: r.key.slice(SYNC_REQUEST_PREFIX.length),
    requestedAt: r.updatedAt,
    actor: (r.value as { actor?: string | null } | null)?.actor ?? null,
  }));
}

/**
 * Drops a mailbox's request if it was made at or before `upTo` (a run that started after it
 * serves it); a newer request stays for the next run.
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @param upTo the request time the run read
 */
export async function clearSyncRequest(store: Store, mailboxId: string, upTo: string): Promise<void> {
  await writeTransaction(store, (tx) =>
    tx
      .delete(settings)
      .where(and(eq(settings.key, `${SYNC_REQUEST_PREFIX}${mailboxId}`), lte(settings.updatedAt, upTo)))
      .run(),
  );
}

/**
 * Closes the runs of a mailbox still marked running — left by a worker that died — as failed with
 * {@link SYNC_INTERRUPTED}. Call it only while holding the mailbox's lease: then no run is live.
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @param options who took over (named in the message), when (default now)
 * @returns how many runs were closed
 */
export async function finishInterruptedRuns(
  store: Store,
  mailboxId: string,
  options: { takenOverBy?: string; now?: Date } = {},
): Promise<number> {
  const by = options.takenOverBy === undefined ? "" : `; taken over by ${options.takenOverBy}`;
  const result = await writeTransaction(store, (tx) =>
    tx
      .update(syncRuns)
      .set({
        status: "failed",
        finishedAt: (options.now ?? new Date()).toISOString(),
        errorCode: SYNC_INTERRUPTED,
        errorMessage: `The worker collecting this mailbox stopped before the run finished${by}`,
      })
      .where(and(eq(syncRuns.mailboxId, mailboxId), eq(syncRuns.status, "running")))
      .run(),
  );
  return result.rowsAffected;
}

/**
 * Notes on a finished run that it ended early because its worker was told to stop (SIGTERM): it
 * keeps its status, and the mailbox is due again at once when a worker runs.
 *
 * @param store the open store
 * @param runId the run
 * @param message why it stopped (never a secret)
 */
export async function markRunInterrupted(store: Store, runId: string, message: string): Promise<void> {
  await writeTransaction(store, (tx) =>
    tx
      .update(syncRuns)
      .set({
        errorCode: sql`coalesce(${syncRuns.errorCode}, ${SYNC_INTERRUPTED})`,
        errorMessage: sql`coalesce(${syncRuns.errorMessage}, ${message})`,
      })
      .where(eq(syncRuns.id, runId))
      .run(),
  );
}

/** What {@link setMailboxSchedule} changes; absent fields stay. */
export interface MailboxSchedulePatch {
  autoFetch?: boolean;
  /** Seconds between collections (at least 1); null: the instance's schedule. */
  intervalSeconds?: number | null;
  deleteAfterFetch?: boolean;
}

/**
 * Changes when and how a mailbox is collected.
 *
 * @param store the open store
 * @param id the mailbox
 * @param patch auto-fetch, interval, delete after fetch
 * @returns the mailbox as updated
 * @throws {MailregError} NOT_FOUND, VALIDATION (an interval that is not a whole number of seconds ≥ 1)
 */
export async function setMailboxSchedule(
  store: Store,
  id: string,
  patch: MailboxSchedulePatch,
): Promise<Mailbox> {
  const interval = patch.intervalSeconds;
  if (interval !== undefined && interval !== null && !(Number.isInteger(interval) && interval >= 1)) {
    throw new MailregError("VALIDATION", "The interval must be a whole number of seconds, at least 1", {
      details: { intervalSeconds: interval },
    });
  }
  const row = await writeTransaction(store, (tx) =>
    tx
      .update(mailboxes)
      .set({
        ...(patch.autoFetch === undefined ? {} : { autoFetch: patch.autoFetch }),
        ...(interval === undefined ? {} : { intervalSeconds: interval }),
        ...(patch.deleteAfterFetch === undefined ? {} : { deleteAfterFetch: patch.deleteAfterFetch }),
        updatedAt: new Date().toISOString(),
      })
      .where(eq(mailboxes.id, id))
      .returning()
      .get(),
  );
  if (row === undefined)
    throw new MailregError("NOT_FOUND", `Mailbox ${id} does not exist`, { details: { id } });
  return row;
}

/** The last run as the schedule sees it. */
export interface ScheduleRun {
  id: string;
  status: "running" | "ok" | "failed";
  startedAt: string;
  finishedAt: string | null;
  fetched: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/** Everything that decides when a mailbox is collected next. */
export interface MailboxSchedule {
  mailboxId: string;
  address: string;
  instanceId: string;
  createdAt: string;
  /** Effective: the mailbox's switch and its instance's schedule both on. */
  autoFetch: boolean;
  /** Effective: mailbox → instance schedule → the worker default. */
  intervalSeconds: number;
  /** The latest run. */
  lastRun?: ScheduleRun;
  /** When the latest successful run finished. */
  lastOkAt?: string;
  /** Failed runs since the last successful one (interrupted runs not counted; at most 32). */
  consecutiveFailures: number;
  /** The lease, if any row exists (it may have expired). */
  lease?: { owner: string; expiresAt: string };
  /** A pending "sync now". */
  requestedAt?: string;
}

/**
 * The schedule of every mailbox (or one): one query over mailboxes, instances, runs, leases and
 * requests.
 *
 * @param store the open store
 * @param options the worker's default interval (config `worker.intervalSeconds`, default 300);
 *   only one mailbox
 * @returns the schedules, by mailbox id
 */
export async function listMailboxSchedules(
  store: Store,
  options: { defaultIntervalSeconds?: number; mailboxId?: string } = {},
): Promise<MailboxSchedule[]> {
  const fallback = options.defaultIntervalSeconds ?? _DEFAULT_INTERVAL_SECONDS;
  const one = options.mailboxId;
  // one mailbox: by its primary key (`? is null or m.id = ?` would read every mailbox to find it)
  const result = await store.client.execute({
    sql: one === undefined ? _SCHEDULES_SQL : `${_SCHEDULES_SQL_BASE} where m.id = ?`,
    args: one === undefined ? [] : [one],
  });
  return result.rows.map((row) => {
    const r = row as unknown as _ScheduleRow;
    const schedule = _instanceSchedule(r.settings);
    const out: MailboxSchedule = {
      mailboxId: r.id,
      address: r.address,
      instanceId: r.instance_id,
      createdAt: r.created_at,
      autoFetch: Number(r.auto_fetch) === 1 && schedule.autoFetch !== false,
      intervalSeconds: Number(r.interval_seconds ?? schedule.intervalSeconds ?? fallback),
      consecutiveFailures: Number(r.failures),
    };
    if (r.run_id !== null) {
      out.lastRun = {
        id: r.run_id,
        status: r.run_status as ScheduleRun["status"],
        startedAt: r.started_at as string,
        finishedAt: r.finished_at,
        fetched: Number(r.fetched ?? 0),
        errorCode: r.error_code,
        errorMessage: r.error_message,
      };
    }
    if (r.last_ok_at !== null) out.lastOkAt = r.last_ok_at;
    if (r.lease_owner !== null) out.lease = { owner: r.lease_owner, expiresAt: r.lease_expires_at as string };
    if (r.requested_at !== null) out.requestedAt = r.requested_at;
    return out;
  });
}

/** When a mailbox is collected next, and why then. */
export interface NextSync {
  /** ISO time; null when nothing will collect it (auto-fetch off, or a worker holds it now). */
  at: string | null;
  reason: "running" | "requested" | "off" | "new" | "interrupted" | "interval" | "backoff";
}

/**
 * The pause after `failures` failed runs in a row: the interval, doubled per further failure, at
 * most {@link MAX_BACKOFF_SECONDS} (or the interval, if that is longer).
 *
 * @param intervalSeconds the mailbox's interval
 * @param failures consecutive failures (≥ 1)
 * @returns seconds
 * @example
 * ```ts
 * import { backoffSeconds } from "@mailreg/store";
 * console.log([1, 2, 3, 9].map((n) => backoffSeconds(300, n))); // [300, 600, 1200, 3600]
 * ```
 */
export function backoffSeconds(intervalSeconds: number, failures: number): number {
  const cap = Math.max(intervalSeconds, MAX_BACKOFF_SECONDS);
  return Math.min(cap, intervalSeconds * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/**
 * When a mailbox is due, from its {@link MailboxSchedule}. The jitter (0–10 % of the pause) is
 * derived from the mailbox and its last run, so every process computes the same time.
 *
 * @param schedule the mailbox's schedule
 * @param now the time
 * @param options a lease held by `owner` (the caller itself) does not count as running
 * @returns the time and the reason
 * @example
 * ```ts
 * import { listMailboxSchedules, nextSyncDue, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * for (const s of await listMailboxSchedules(store)) console.log(s.address, nextSyncDue(s, new Date()));
 * store.close();
 * ```
 */
export function nextSyncDue(
  schedule: MailboxSchedule,
  now: Date,
  options: { owner?: string } = {},
): NextSync {
  const { lease, lastRun } = schedule;
  if (lease !== undefined && lease.owner !== options.owner && lease.expiresAt >= now.toISOString()) {
    return { at: null, reason: "running" };
  }
  if (schedule.requestedAt !== undefined) return { at: schedule.requestedAt, reason: "requested" };
  if (!schedule.autoFetch) return { at: null, reason: "off" };
  if (lastRun === undefined) return { at: schedule.createdAt, reason: "new" };
  if (lastRun.status === "running" || lastRun.errorCode === SYNC_INTERRUPTED) {
    return { at: lastRun.finishedAt ?? lastRun.startedAt, reason: "interrupted" };
  }
  const failing = schedule.consecutiveFailures > 0;
  const pause = failing
    ? backoffSeconds(schedule.intervalSeconds, schedule.consecutiveFailures)
    : schedule.intervalSeconds;
  const jitter = 1 + 0.1 * _unit(`${schedule.mailboxId}:${lastRun.id}`);
  const from = Date.parse(lastRun.finishedAt ?? lastRun.startedAt);
  return {
    at: new Date(from + Math.round(pause * jitter * 1000)).toISOString(),
    reason: failing ? "backoff" : "interval",
  };
}

/** How a mailbox's collection stands, for the admin. */
export interface MailboxWorkerState extends MailboxSchedule {
  /** The latest run's status; "never" before the first. */
  status: "never" | "running" | "ok" | "failed";
  /** New messages the latest run stored. */
  fetched: number;
  /** The latest failed run's error (it may be older than the latest run). */
  lastError?: { code: string; message: string; at: string };
  /** When it is collected next. */
  next: NextSync;
  /** A worker collecting it right now. */
  runningOn?: string;
}

/**
 * A mailbox's collection state: last run, status, fetched, last error, next due, who runs it.
 *
 * @param store the open store
 * @param id the mailbox
 * @param options the worker's default interval (config `worker.intervalSeconds`); the time
 * @returns the state
 * @throws {MailregError} NOT_FOUND
 * @example
 * ```ts
 * import { mailboxSyncState, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * const s = await mailboxSyncState(store, "0193…");
 * console.log(s.status, s.fetched, s.lastError?.code, s.next.at);
 * store.close();
 * ```
 */
export async function mailboxSyncState(
  store: Store,
  id: string,
  options: { defaultIntervalSeconds?: number; now?: Date } = {},
): Promise<MailboxWorkerState> {
  const [schedule] = await listMailboxSchedules(store, { ...options, mailboxId: id });
  if (schedule === undefined)
    throw new MailregError("NOT_FOUND", `Mailbox ${id} does not exist`, { details: { id } });
  const now = options.now ?? new Date();
  const failed = await store.db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.mailboxId, id), eq(syncRuns.status, "failed")))
    .orderBy(sql`${syncRuns.startedAt} desc`)
    .limit(1)
    .get();
  const live = schedule.lease !== undefined && schedule.lease.expiresAt >= now.toISOString();
  return {
    ...schedule,
    status: schedule.lastRun?.status ?? "never",
    fetched: schedule.lastRun?.fetched ?? 0,
    ...(failed === undefined
      ? {}
      : {
          lastError: {
            code: failed.errorCode ?? "INTERNAL",
            message: failed.errorMessage ?? "",
            at: failed.finishedAt ?? failed.startedAt,
          },
        }),
    next: nextSyncDue(schedule, now),
    ...(live ? { runningOn: schedule.lease!.owner } : {}),
  };
}

/** The schedule query of {@link listMailboxSchedules}, without its `where`. */
const _SCHEDULES_SQL_BASE = `
  select m.id, m.address, m.instance_id, m.created_at, m.auto_fetch, m.interval_seconds, i.settings,
    r.id as run_id, r.status as run_status, r.started_at, r.finished_at, r.fetched, r.error_code, r.error_message,
    l.owner as lease_owner, l.expires_at as lease_expires_at,
    q.updated_at as requested_at,
    (select max(o.finished_at) from sync_runs o where o.mailbox_id = m.id and o.status = 'ok') as last_ok_at,
    (select count(*) from (
      select 1 from sync_runs f
      where f.mailbox_id = m.id and f.status = 'failed' and coalesce(f.error_code, '') <> '${SYNC_INTERRUPTED}'
        and f.started_at > coalesce(
          (select max(o.started_at) from sync_runs o where o.mailbox_id = m.id and o.status = 'ok'), '')
      limit 32)) as failures
  from mailboxes m
  left join instances i on i.id = m.instance_id
  left join sync_runs r on r.id = (
    select x.id from sync_runs x where x.mailbox_id = m.id order by x.started_at desc, x.id desc limit 1)
  left join leases l on l.mailbox_id = m.id
  left join settings q on q.key = '${SYNC_REQUEST_PREFIX}' || m.id`;

/** Every mailbox's schedule, by mailbox id. */
const _SCHEDULES_SQL = `${_SCHEDULES_SQL_BASE} order by m.id`;

interface _ScheduleRow {
  id: string;
  address: string;
  instance_id: string;
  created_at: string;
  auto_fetch: number | bigint;
  interval_seconds: number | null;
  settings: string | null;
  run_id: string | null;
  run_status: string | null;
  started_at: string | null;
  finished_at: string | null;
  fetched: number | null;
  error_code: string | null;
  error_message: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  requested_at: string | null;
  last_ok_at: string | null;
  failures: number | bigint;
}

/** The last few settings texts read and their schedules: every mailbox of an instance shares one text. */
const _parsedSchedules = new Map<string, { autoFetch?: boolean; intervalSeconds?: number }>();

/** The `schedule` of an instance's mirrored settings, loosely read (each text parsed once). */
function _instanceSchedule(settingsJson: string | null): { autoFetch?: boolean; intervalSeconds?: number } {
  if (settingsJson === null) return {};
  const known = _parsedSchedules.get(settingsJson);
  if (known !== undefined) return known;
  const schedule = _parseInstanceSchedule(settingsJson);
  if (_parsedSchedules.size >= 64) _parsedSchedules.clear();
  _parsedSchedules.set(settingsJson, schedule);
  return schedule;
}

function _parseInstanceSchedule(settingsJson: string): { autoFetch?: boolean; intervalSeconds?: number } {
  try {
    const s = (JSON.parse(settingsJson) as { schedule?: { autoFetch?: unknown; intervalSeconds?: unknown } })
      .schedule;
    return {
      ...(typeof s?.autoFetch === "boolean" ? { autoFetch: s.autoFetch } : {}),
      ...(typeof s?.intervalSeconds === "number" ? { intervalSeconds: s.intervalSeconds } : {}),
    };
  } catch {
    return {};
  }
}

/** A number in [0, 1) from a string (FNV-1a), the same in every process. */
function _unit(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 2 ** 32;
}
