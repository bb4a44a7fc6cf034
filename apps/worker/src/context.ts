/**
 * The worker's dependencies with defaults filled in, built once without I/O.
 *
 * @module
 */
import { jsonLogger, type Logger, newId } from "@mailreg/core";
import { pauseAfterGiveUp, type Sink, sinksFromConfig } from "@mailreg/imap-sync";
import type { WorkerDeps } from "./deps.ts";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics.ts";
import { createRoutingMetrics, type RoutingMetrics } from "./routing-metrics.ts";

/** Everything the scheduler and a run use. */
export interface WorkerContext extends WorkerDeps {
  logger: Logger;
  metrics: WorkerMetrics;
  /** Dead letters and retention counters, in the same registry. */
  routingMetrics: RoutingMetrics;
  owner: string;
  /** The sinks besides the store: `deps.sinks`, else the config's. */
  sinks: readonly Sink[];
}

/**
 * Fills in defaults: JSON logs on the console, a new metrics registry, a unique owner name, the
 * config's sinks (webhook secrets from `deps.env`, else the process environment; each paused for
 * a minute after it gave up on a message, whose followers go straight to the dead-letter list).
 *
 * @param deps the dependencies
 * @returns the context
 * @throws {MailregError} CONFIG_INVALID when a webhook's secret variable is not set
 */
export function workerContext(deps: WorkerDeps): WorkerContext {
  const metrics = createWorkerMetrics(deps.store, deps.registry);
  return {
    ...deps,
    logger: deps.logger ?? jsonLogger(),
    metrics,
    routingMetrics: createRoutingMetrics(metrics.registry),
    owner: deps.owner ?? `worker-${newId()}`,
    // a sink that just gave up is paused for a minute: a receiver that is down does not hold up collection
    sinks:
      deps.sinks ??
      sinksFromConfig(deps.config.sinks, deps.env ?? processEnv()).map((s) => pauseAfterGiveUp(s)),
  };
}

/** The process environment under Node and Deno 2 (both have `process`); empty elsewhere. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}
