/**
 * The worker's metrics for handing mail on and keeping it: dead letters (what a sink gave up on),
 * retention runs and the messages they purged or deleted.
 *
 * @module
 */
import { Counter, type Registry } from "prom-client";

/** Routing and retention metrics. */
export interface RoutingMetrics {
  readonly deadLetters: Counter<"mailbox">;
  readonly retentionRuns: Counter<"status">;
  readonly retentionMessages: Counter<"instance" | "action">;
}

/**
 * The metrics, registered in `registry` (the worker's).
 *
 * @param registry the worker's registry
 * @returns the metrics
 */
export function createRoutingMetrics(registry: Registry): RoutingMetrics {
  const registers = [registry];
  return {
    deadLetters: new Counter({
      name: "mailreg_worker_dead_letters_total",
      help: "Deliveries a sink gave up on (kept in the dead-letter list), by mailbox id",
      labelNames: ["mailbox"] as const,
      registers,
    }),
    retentionRuns: new Counter({
      name: "mailreg_worker_retention_runs_total",
      help: "Retention runs of this process, by status (ok, failed)",
      labelNames: ["status"] as const,
      registers,
    }),
    retentionMessages: new Counter({
      name: "mailreg_worker_retention_messages_total",
      help: "Messages retention changed, by instance and action (purge-raw, delete)",
      labelNames: ["instance", "action"] as const,
      registers,
    }),
  };
}
