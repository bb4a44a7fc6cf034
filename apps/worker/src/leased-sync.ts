/**
 * One run of one mailbox under its lease: take the lease (atomically, in the database), check the
 * mailbox is still due now that no one else can start it, close a dead worker's unfinished run,
 * clear the "sync now" request it serves, collect with the lease renewed every third of its length,
 * log one line and count it, release the lease. Losing the lease (a stalled process whose lease
 * expired) aborts the run after its current chunk.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import { type SyncProgress, type SyncState, type SyncSummary, syncMailbox } from "@mailreg/imap-sync";
import { searchText } from "@mailreg/message";
import {
  acquireLease,
  clearSyncRequest,
  finishInterruptedRuns,
  getMailbox,
  indexPendingMessageText,
  listMailboxSchedules,
  type Mailbox,
  markRunInterrupted,
  nextSyncDue,
  releaseLease,
  renewLease,
  storeSyncState,
} from "@mailreg/store";
import { type WorkerContext, workerContext } from "./context.ts";
import type { WorkerDeps } from "./deps.ts";
import { serveRerouteRequest } from "./reroute.ts";
import { syncOptionsFor } from "./sync-options.ts";

/** A mailbox whose lease this worker holds, ready to collect. */
export interface Claim {
  mailbox: Mailbox;
  /** The "sync now" request this run serves (cleared when it starts). */
  requestedAt?: string;
  /** When the lease taken for this claim runs out (ms since the epoch), unless renewed. */
  leaseUntil?: number;
}

/** Why a mailbox could not be claimed. */
export type ClaimRefusal =
  | { ok: false; reason: "busy"; owner?: string }
  | { ok: false; reason: "not-due" }
  | { ok: false; reason: "gone" };

/**
 * Takes a mailbox's lease and checks it is (still) due.
 *
 * @param ctx the worker context
 * @param mailboxId the mailbox
 * @param options `onlyIfDue: false` collects it whatever its schedule (the CLI's foreground sync)
 * @returns the claim (run it with {@link runClaim}, which releases the lease), or why not
 */
export async function claimMailbox(
  ctx: WorkerContext,
  mailboxId: string,
  options: { onlyIfDue?: boolean } = {},
): Promise<{ ok: true; claim: Claim } | ClaimRefusal> {
  const { store, owner } = ctx;
  const seconds = ctx.config.worker.leaseSeconds;
  const asked = Date.now();
  if (!(await acquireLease(store, { mailboxId, owner, seconds, now: new Date(asked) }))) {
    const [schedule] = await listMailboxSchedules(store, { mailboxId });
    return schedule?.lease === undefined
      ? { ok: false, reason: "busy" }
      : { ok: false, reason: "busy", owner: schedule.lease.owner };
  }
  try {
    const [schedule] = await listMailboxSchedules(store, {
      mailboxId,
      defaultIntervalSeconds: ctx.config.worker.intervalSeconds,
    });
    if (schedule === undefined) {
      await releaseLease(store, { mailboxId, owner });
      return { ok: false, reason: "gone" };
    }
    const now = new Date();
    const next = nextSyncDue(schedule, now, { owner });
    if (options.onlyIfDue !== false && (next.at === null || next.at > now.toISOString())) {
      await releaseLease(store, { mailboxId, owner });
      return { ok: false, reason: "not-due" };
    }
    // a run left "running" is the latest one (runs of a mailbox follow one another under its
    // lease): only then is there one to close
    if (schedule.lastRun?.status === "running") {
      const closed = await finishInterruptedRuns(store, mailboxId, { takenOverBy: owner });
      if (closed > 0)
        ctx.logger.warn("took over an interrupted run", { mailboxId, runs: closed, worker: owner });
    }
    const mailbox = await getMailbox(store, mailboxId);
    return {
      ok: true,
      claim: {
        mailbox,
        ...(schedule.requestedAt === undefined ? {} : { requestedAt: schedule.requestedAt }),
        leaseUntil: asked + seconds * 1000,
      },
    };
  } catch (error) {
    await releaseLease(store, { mailboxId, owner }).catch(() => {});
    throw error;
  }
}

/**
 * Collects a claimed mailbox once and releases its lease.
 *
 * @param ctx the worker context
 * @param claim from {@link claimMailbox}
 * @param options aborting finishes the current chunk; progress after each chunk
 * @returns what the run did (a failure is in the summary, not thrown)
 */
export async function runClaim(
  ctx: WorkerContext,
  claim: Claim,
  options: { signal?: AbortSignal; onProgress?: (progress: SyncProgress) => void } = {},
): Promise<SyncSummary> {
  const { store, owner, metrics, config, accessToken } = ctx;
  const { mailbox } = claim;
  const mailboxId = mailbox.id;
  const seconds = config.worker.leaseSeconds;
  const stop = new AbortController();
  let lost = false;
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted === true) stop.abort();
  // The lease runs out at `heldUntil` unless a renewal succeeds first. Past it another worker may
  // take the mailbox, so the run stops then whatever the reason the renewals did not get through
  // (a database that fails, an event loop that stalled): after its current chunk, as when stopped.
  let heldUntil = claim.leaseUntil ?? Date.now() + seconds * 1000;
  let finished = false;
  const expire = () => {
    if (finished || stop.signal.aborted) return;
    lost = true;
    ctx.logger.warn("lost the lease: stopping after the current chunk", { mailboxId, worker: owner });
    stop.abort();
  };
  let deadline = setTimeout(expire, Math.max(0, heldUntil - Date.now()));
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = setInterval(
    () => {
      const asked = Date.now();
      if (asked >= heldUntil) return expire(); // the timer came too late: the lease is gone
      renewing = renewLease(store, { mailboxId, owner, seconds, now: new Date(asked) }).then(
        (held) => {
          if (!held) return expire();
          if (finished) return;
          heldUntil = asked + seconds * 1000;
          clearTimeout(deadline);
          deadline = setTimeout(expire, Math.max(0, heldUntil - Date.now()));
        },
        (error: unknown) => ctx.logger.warn("lease renewal failed", { mailboxId, error: String(error) }),
      );
    },
    (seconds * 1000) / 3,
  );
  metrics.active.inc();
  try {
    if (claim.requestedAt !== undefined) await clearSyncRequest(store, mailboxId, claim.requestedAt);
    // the store's adapter of imap-sync's port: a drift between the two fails the type check here
    const state: SyncState = storeSyncState(store);
    const summary = await syncMailbox(mailbox, {
      ...syncOptionsFor(config, mailbox, {
        ...(ctx.ca === undefined ? {} : { ca: ctx.ca }),
        ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      }),
      state,
      keyring: ctx.keyring,
      signal: stop.signal,
      sinks: ctx.sinks,
      ...(accessToken === undefined
        ? {}
        : { accessToken: (p: ConnectionProfile) => accessToken(p, mailbox) }),
      ...(ctx.chunkMessages === undefined ? {} : { chunkMessages: ctx.chunkMessages }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    if (summary.aborted) {
      await markRunInterrupted(
        store,
        summary.runId,
        lost
          ? "The worker lost its lease (it stalled past it) and stopped after the current chunk"
          : "The worker was told to stop and stopped after the current chunk",
      );
    }
    _record(ctx, mailbox, summary);
    // the administrator's "re-run the routing rules", asked for while this worker held the mailbox
    if (!lost && !stop.signal.aborted)
      await serveRerouteRequest(ctx, mailbox, stop.signal).catch((error: unknown) =>
        ctx.logger.error("reroute failed", { mailboxId, error: String(error), worker: owner }),
      );
    // the text bodies of what was stored, for search (header fields were indexed as it was stored);
    // a run that stored nothing has nothing to index (what an earlier run left, retention indexes)
    if (summary.fetched > 0 || summary.rekeyed > 0)
      await indexPendingMessageText(store, { extractText: searchText, mailboxId }).catch((error: unknown) =>
        ctx.logger.warn("indexing message text failed", { mailboxId, error: String(error) }),
      );
    return summary;
  } finally {
    finished = true;
    clearInterval(renew);
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onAbort);
    metrics.active.dec();
    await renewing;
    await releaseLease(store, { mailboxId, owner }).catch((error: unknown) =>
      ctx.logger.error("lease release failed", { mailboxId, error: String(error) }),
    );
  }
}

/**
 * Collects one mailbox once, now, whatever its schedule, under its lease (what
 * `mailreg mailboxes sync` runs in the foreground). Refuses while a worker is collecting it.
 *
 * @param deps config, store, keyring and the optional rest
 * @param mailboxId the mailbox
 * @param options aborting finishes the current chunk; progress after each chunk
 * @returns the run's summary, or why it did not run
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * import { loadKeyring } from "@mailreg/crypto-registry";
 * import { openStore } from "@mailreg/store";
 * import { syncMailboxOnce } from "@mailreg/worker";
 * const { config } = await loadConfig();
 * const store = await openStore({ url: config.database.url });
 * const keyring = await loadKeyring({ publicKeyFile: config.keys.publicKeyFile, privateKeyDir: config.keys.privateKeyDir });
 * const result = await syncMailboxOnce({ config, store, keyring }, "0193…", {
 *   onProgress: (p) => console.log(p.folder, p.fetched, "/", p.expected),
 * });
 * console.log(result.ok ? result.summary.fetched : result.reason);
 * store.close();
 * ```
 */
export async function syncMailboxOnce(
  deps: WorkerDeps,
  mailboxId: string,
  options: { signal?: AbortSignal; onProgress?: (progress: SyncProgress) => void } = {},
): Promise<{ ok: true; summary: SyncSummary } | ClaimRefusal> {
  const ctx = workerContext(deps);
  const claimed = await claimMailbox(ctx, mailboxId, { onlyIfDue: false });
  if (!claimed.ok) return claimed;
  return { ok: true, summary: await runClaim(ctx, claimed.claim, options) };
}

/** One log line and the counters for a finished run; never a secret (imap-sync's messages hold none). */
function _record(ctx: WorkerContext, mailbox: Mailbox, summary: SyncSummary): void {
  const { metrics } = ctx;
  metrics.runs.inc({ status: summary.status });
  metrics.runSeconds.observe(summary.durationMs / 1000);
  if (summary.fetched > 0) metrics.messages.inc({ mailbox: mailbox.id }, summary.fetched);
  if (summary.bytes > 0) metrics.bytes.inc({ mailbox: mailbox.id }, summary.bytes);
  if (summary.error !== undefined) metrics.errors.inc({ mailbox: mailbox.id, code: summary.error.code });
  if (summary.deadLetters > 0)
    ctx.routingMetrics.deadLetters.inc({ mailbox: mailbox.id }, summary.deadLetters);
  ctx.logger[summary.status === "ok" ? "info" : "warn"]("sync", {
    mailboxId: mailbox.id,
    address: mailbox.address,
    status: summary.status,
    fetched: summary.fetched,
    bytes: summary.bytes,
    deleted: summary.deleted,
    flagsChanged: summary.flagsChanged,
    ...(summary.deadLetters > 0 ? { deadLetters: summary.deadLetters } : {}),
    folders: summary.folders.length,
    ms: summary.durationMs,
    aborted: summary.aborted,
    runId: summary.runId,
    worker: ctx.owner,
    ...(summary.error === undefined ? {} : { errorCode: summary.error.code, error: summary.error.message }),
  });
}
