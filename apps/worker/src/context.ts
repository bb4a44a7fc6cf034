/**
 * The worker's dependencies with defaults filled in, built once without I/O.
 *
 * @module
 */
import { jsonLogger, type Logger, newId } from "@mailreg/core";
import type { WorkerDeps } from "./deps.ts";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics.ts";

/** Everything the scheduler and a run use. */
export interface WorkerContext extends WorkerDeps {
  logger: Logger;
  metrics: WorkerMetrics;
  owner: string;
}

/**
 * Fills in defaults: JSON logs on the console, a new metrics registry, a unique owner name.
 *
 * @param deps the dependencies
 * @returns the context
 */
export function workerContext(deps: WorkerDeps): WorkerContext {
  return {
    ...deps,
    logger: deps.logger ?? jsonLogger(),
    metrics: createWorkerMetrics(deps.store, deps.registry),
    owner: deps.owner ?? `worker-${newId()}`,
  };
}
