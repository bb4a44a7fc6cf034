/**
 * The worker's Prometheus metrics (prom-client, as the registration app uses): messages, bytes and
 * errors per mailbox, runs by status and their duration, syncs in progress, each mailbox's lag, the
 * outbox's sent, retried and failed messages and how many wait (the lag and the waiting messages are
 * read from the store when scraped, so they are the same whichever worker did the work).
 *
 * @module
 */
import { countOutbox, listMailboxSchedules, type Store } from "@mailreg/store";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The worker's metrics. */
export interface WorkerMetrics {
  readonly registry: Registry;
  readonly messages: Counter<"mailbox">;
  readonly bytes: Counter<"mailbox">;
  readonly errors: Counter<"mailbox" | "code">;
  readonly runs: Counter<"status">;
  readonly runSeconds: Histogram;
  readonly active: Gauge;
  readonly lag: Gauge<"mailbox">;
  readonly outboxSent: Counter<"mailbox">;
  readonly outboxRetried: Counter<"mailbox" | "code">;
  readonly outboxFailed: Counter<"mailbox" | "code">;
  readonly outboxQueued: Gauge;
}

/**
 * The worker's metrics, registered in `registry`.
 *
 * @param store where the lag is read from at scrape time
 * @param registry the registry to join (e.g. the registration app's); default a new one
 * @returns the metrics
 * @example
 * ```ts
 * import { openMemoryStore } from "@mailreg/store/testing";
 * import { createWorkerMetrics } from "@mailreg/worker";
 * const store = await openMemoryStore();
 * const metrics = createWorkerMetrics(store);
 * metrics.messages.inc({ mailbox: "0193…" }, 3);
 * console.log(await metrics.registry.metrics());
 * store.close();
 * ```
 */
export function createWorkerMetrics(store: Store, registry: Registry = new Registry()): WorkerMetrics {
  const registers = [registry];
  const lag: Gauge<"mailbox"> = new Gauge({
    name: "mailreg_worker_lag_seconds",
    help: "Seconds since each mailbox was last collected successfully (since it was added, before that)",
    labelNames: ["mailbox"] as const,
    registers,
    async collect() {
      const now = Date.now();
      const schedules = await listMailboxSchedules(store);
      lag.reset();
      for (const s of schedules) {
        lag.set({ mailbox: s.mailboxId }, Math.max(0, (now - Date.parse(s.lastOkAt ?? s.createdAt)) / 1000));
      }
    },
  });
  return {
    registry,
    messages: new Counter({
      name: "mailreg_worker_messages_total",
      help: "New messages stored, by mailbox id",
      labelNames: ["mailbox"] as const,
      registers,
    }),
    bytes: new Counter({
      name: "mailreg_worker_bytes_total",
      help: "Bytes of new messages stored, by mailbox id",
      labelNames: ["mailbox"] as const,
      registers,
    }),
    errors: new Counter({
      name: "mailreg_worker_errors_total",
      help: "Failed runs, by mailbox id and error code",
      labelNames: ["mailbox", "code"] as const,
      registers,
    }),
    runs: new Counter({
      name: "mailreg_worker_runs_total",
      help: "Collection runs finished by this process, by status (ok, failed)",
      labelNames: ["status"] as const,
      registers,
    }),
    runSeconds: new Histogram({
      name: "mailreg_worker_run_duration_seconds",
      help: "Time of one collection run",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    active: new Gauge({
      name: "mailreg_worker_active_runs",
      help: "Collection runs in progress in this process",
      registers,
    }),
    lag,
    outboxSent: new Counter({
      name: "mailreg_worker_outbox_sent_total",
      help: "Outbox messages the SMTP server accepted, by mailbox id",
      labelNames: ["mailbox"] as const,
      registers,
    }),
    outboxRetried: new Counter({
      name: "mailreg_worker_outbox_retried_total",
      help: "Outbox sends that failed for now and will be tried again, by mailbox id and error code",
      labelNames: ["mailbox", "code"] as const,
      registers,
    }),
    outboxFailed: new Counter({
      name: "mailreg_worker_outbox_failed_total",
      help: "Outbox messages given up for good, by mailbox id and error code",
      labelNames: ["mailbox", "code"] as const,
      registers,
    }),
    outboxQueued: new Gauge({
      name: "mailreg_worker_outbox_queued",
      help: "Outbox messages waiting to be sent (queued, or claimed by a worker and being sent)",
      registers,
      async collect() {
        const counts = await countOutbox(store);
        this.set(counts.queued + counts.sending);
      },
    }),
  };
}
