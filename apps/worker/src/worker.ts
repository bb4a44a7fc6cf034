/**
 * The worker: a scheduler over every mailbox in the store. Each tick (every second) it looks for
 * "sync now" requests; every few seconds, after a run ends, or when asked, it reads every
 * mailbox's schedule and starts the due ones — requested first, then the longest overdue — up to
 * `config.worker.concurrency` at a time, each under its database lease so that several worker
 * processes share the mailboxes. Beside that it delivers the outbox (see `outbox-delivery.ts`).
 * `stop()` aborts the runs (each finishes its current chunk), waits for them and releases their
 * leases, and lets the outbox finish the messages it holds. Mailboxes whose instance opts in to
 * IMAP IDLE are also watched (see `idle-watch.ts`): new mail there requests a sync at once. Each
 * new message goes to the sinks the instance's routing rules choose (see `sync-options.ts`), and
 * retention runs at start and then every `retentionMs` (see `retention.ts`).
 *
 * @module
 */
import {
  clearSyncRequest,
  listMailboxSchedules,
  listSyncRequests,
  nextSyncDue,
  releaseLease,
  requestSync,
} from "@mailreg/store";
import { workerContext } from "./context.ts";
import type { WorkerDeps } from "./deps.ts";
import { type IdleWatch, startIdleWatch } from "./idle-watch.ts";
import { claimMailbox, runClaim } from "./leased-sync.ts";
import type { WorkerMetrics } from "./metrics.ts";
import { type OutboxDelivery, startOutboxDelivery } from "./outbox-delivery.ts";
import { type RetentionLoop, startRetention } from "./retention.ts";

/** A worker built by {@link createWorker}. */
export interface Worker {
  /** This worker's name in leases and logs. */
  readonly owner: string;
  /** Its metrics (in the registry it was given). */
  readonly metrics: WorkerMetrics;
  /** Starts scheduling (idempotent). */
  start(): void;
  /** Stops scheduling, lets every run finish its current chunk, releases the leases; finishes the claimed outbox messages. */
  stop(): Promise<void>;
  /**
   * "Sync now": records the request in the store (any worker process may serve it) and wakes this one.
   * @throws {MailregError} NOT_FOUND when the mailbox does not exist
   */
  requestSync(mailboxId: string, actor?: string): Promise<void>;
  /** The mailboxes this worker is collecting right now. */
  running(): string[];
}

/** A number from a string (FNV-1a), to order mailboxes differently in each worker. */
function _hash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function _requestKey(r: { mailboxId: string; requestedAt: string }): string {
  return `${r.mailboxId}@${r.requestedAt}`;
}

/**
 * Builds the worker; no I/O until {@link Worker.start}.
 *
 * @param deps config, store, keyring and the optional rest (logger, metrics registry, owner …)
 * @returns the worker
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * import { loadKeyring } from "@mailreg/crypto-registry";
 * import { openStore } from "@mailreg/store";
 * import { createWorker } from "@mailreg/worker";
 * const { config } = await loadConfig();
 * const store = await openStore({ url: config.database.url });
 * const keyring = await loadKeyring({ publicKeyFile: config.keys.publicKeyFile, privateKeyDir: config.keys.privateKeyDir });
 * const worker = createWorker({ config, store, keyring });
 * worker.start();
 * // … on SIGTERM:
 * await worker.stop();
 * store.close();
 * ```
 */
export function createWorker(deps: WorkerDeps): Worker {
  const ctx = workerContext(deps);
  const tickMs = deps.tickMs ?? 1000;
  const scanMs = deps.scanMs ?? 5000;
  const stopping = new AbortController();
  const active = new Map<string, Promise<void>>();
  let started = false;
  let outbox: OutboxDelivery | undefined;
  let idle: IdleWatch | undefined;
  let retention: RetentionLoop | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let lastScan = Number.NEGATIVE_INFINITY;
  let wake = true;

  let scheduling = false;
  const tick = async () => {
    scheduling = true;
    try {
      await _schedule();
    } catch (error) {
      ctx.logger.error("scheduling failed", { error: String(error), worker: ctx.owner });
    } finally {
      scheduling = false;
    }
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      ticking = tick();
    }, tickMs);
  };
  /** A run ended: fill its slot now rather than at the next tick (a slot idle up to tickMs per run). */
  const refill = () => {
    if (scheduling || stopping.signal.aborted || !started) return;
    clearTimeout(timer);
    ticking = tick();
  };

  /**
   * The mailboxes the last scan found due, most urgent first, not yet started. A finished run takes
   * the next one from here rather than reading every mailbox's schedule again: a round over n
   * mailboxes reads them n / concurrency times fewer. `claimMailbox` checks each under its lease, so
   * one another worker collected meanwhile is skipped.
   */
  let queue: string[] = [];
  /** The "sync now" requests already queued (`id@time`): the requests are polled every tick, and only a new one is queued. */
  let queuedRequests = new Set<string>();
  let requestsReadAt = Number.NEGATIVE_INFINITY;
  const _schedule = async () => {
    if (active.size >= ctx.config.worker.concurrency) return;
    const now = Date.now();
    if (wake || now - lastScan >= scanMs) {
      const requests = await listSyncRequests(ctx.store);
      requestsReadAt = now;
      queue = await _scan(requests, now);
      // one asked for during its run is queued once the run is over (it gets one more run)
      queuedRequests = new Set(requests.filter((r) => !active.has(r.mailboxId)).map(_requestKey));
    } else if (now - requestsReadAt >= tickMs) {
      // "sync now" within a tick, without reading every schedule: a new request goes to the front
      // (the claim checks it under the lease); a run's end does not read them again before a tick
      requestsReadAt = now;
      const fresh = (await listSyncRequests(ctx.store)).filter(
        (r) => !active.has(r.mailboxId) && !queuedRequests.has(_requestKey(r)),
      );
      if (fresh.length > 0) {
        for (const r of fresh) queuedRequests.add(_requestKey(r));
        const ids = new Set(
          fresh
            .map((r) => ({
              id: r.mailboxId,
              slot: Math.floor(Date.parse(r.requestedAt) / scanMs),
              spread: _hash(`${ctx.owner}:${r.mailboxId}`),
            }))
            .sort((a, b) => a.slot - b.slot || a.spread - b.spread)
            .map((r) => r.id),
        );
        queue = [...ids, ...queue.filter((id) => !ids.has(id))];
      }
    }
    while (queue.length > 0) {
      if (stopping.signal.aborted || active.size >= ctx.config.worker.concurrency) break;
      const id = queue.shift()!;
      if (active.has(id)) continue;
      await _start(id);
    }
  };

  /** Reads every schedule and answers the due mailboxes, requested ones first, then oldest due. */
  const _scan = async (requests: Awaited<ReturnType<typeof listSyncRequests>>, now: number) => {
    wake = false;
    lastScan = now;
    const at = new Date(now);
    const schedules = await listMailboxSchedules(ctx.store, {
      defaultIntervalSeconds: ctx.config.worker.intervalSeconds,
    });
    // a request whose mailbox was deleted would wake every tick: drop it
    const known = new Set(schedules.map((s) => s.mailboxId));
    for (const r of requests) {
      if (!known.has(r.mailboxId)) await clearSyncRequest(ctx.store, r.mailboxId, r.requestedAt);
    }
    return (
      schedules
        .filter((s) => !active.has(s.mailboxId))
        .map((s) => ({ id: s.mailboxId, next: nextSyncDue(s, at, { owner: ctx.owner }) }))
        .filter((d): d is { id: string; next: { at: string; reason: typeof d.next.reason } } => {
          return d.next.at !== null && d.next.at <= at.toISOString();
        })
        // Due within the same scan period counts as equally urgent; among those each worker has an
        // order of its own (a hash of its name and the mailbox), so several workers reading the same
        // schedules do not all try to claim the same mailbox next.
        .map((d) => ({
          id: d.id,
          requested: d.next.reason === "requested",
          slot: Math.floor(Date.parse(d.next.at) / scanMs),
          spread: _hash(`${ctx.owner}:${d.id}`),
        }))
        .sort((a, b) => Number(b.requested) - Number(a.requested) || a.slot - b.slot || a.spread - b.spread)
        .map((d) => d.id)
    );
  };

  /** Claims one mailbox and runs it in a slot of its own, if it is still due and free. */
  const _start = async (id: string) => {
    // The queue is as old as the last scan: with several workers, most of what is left in it has
    // been collected by another meanwhile. One read tells, where a claim would write twice (take
    // the lease, give it back); the claim checks again under the lease.
    const [schedule] = await listMailboxSchedules(ctx.store, {
      mailboxId: id,
      defaultIntervalSeconds: ctx.config.worker.intervalSeconds,
    });
    if (schedule === undefined) return;
    const now = new Date();
    const next = nextSyncDue(schedule, now, { owner: ctx.owner });
    if (next.at === null || next.at > now.toISOString()) return;
    const claimed = await claimMailbox(ctx, id);
    if (!claimed.ok) return;
    if (stopping.signal.aborted) {
      // stop() came while claiming: give the lease back unused
      await releaseLease(ctx.store, { mailboxId: id, owner: ctx.owner });
      return;
    }
    const run = runClaim(ctx, claimed.claim, { signal: stopping.signal })
      .then(
        () => {},
        (error: unknown) =>
          ctx.logger.error("run failed", { mailboxId: id, error: String(error), worker: ctx.owner }),
      )
      .finally(() => {
        active.delete(id);
        refill();
      });
    active.set(id, run);
  };

  return {
    owner: ctx.owner,
    metrics: ctx.metrics,
    start() {
      if (started) return;
      started = true;
      ctx.logger.info("worker started", {
        worker: ctx.owner,
        concurrency: ctx.config.worker.concurrency,
        leaseSeconds: ctx.config.worker.leaseSeconds,
        alwaysDeleteAfterFetch: ctx.config.worker.alwaysDeleteAfterFetch,
      });
      ticking = tick();
      outbox = startOutboxDelivery(ctx, deps.outboxMs ?? 1000);
      retention = startRetention(ctx, deps.retentionMs ?? 3_600_000);
      idle = startIdleWatch(ctx, {
        scanMs,
        onNewMail: () => {
          wake = true;
        },
        isRunning: (id) => active.has(id),
      });
    },
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      clearTimeout(timer);
      await Promise.all([
        ticking.then(() => Promise.allSettled(active.values())),
        outbox?.stop(),
        retention?.stop(),
      ]);
      await idle?.stop();
      if (started) ctx.logger.info("worker stopped", { worker: ctx.owner });
    },
    async requestSync(mailboxId, actor) {
      await requestSync(ctx.store, mailboxId, actor === undefined ? {} : { actor });
      wake = true;
    },
    running: () => [...active.keys()],
  };
}
