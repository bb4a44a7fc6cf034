/**
 * `mailreg worker`: collects mail from every applied mailbox on its schedule until SIGINT or
 * SIGTERM (each run then finishes its current chunk and the leases are released). Several
 * `mailreg worker` processes on one database share the mailboxes. Logs are JSON lines on stdout.
 *
 * @module
 */
import { type Config, jsonLogger } from "@mailreg/core";
import type { Worker } from "@mailreg/worker";
import { type RunningWorker, type StartWorkerOptions, startWorker } from "@mailreg/worker/node";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext } from "../context.ts";
import type { Io } from "../io.ts";
import { UsageError } from "../usage-error.ts";

/**
 * Starts the worker with its JSON log lines on the command's stdout (and one naming the metrics URL).
 *
 * @param io the environment
 * @param config the loaded config
 * @param options the worker's other options (metrics registry or port …)
 * @returns the running worker
 */
export async function startCliWorker(
  io: Io,
  config: Config,
  options: Omit<StartWorkerOptions, "config" | "logger"> = {},
): Promise<RunningWorker> {
  const logger = jsonLogger((line) => io.out(`${line}\n`));
  const running = await startWorker({ ...options, config, logger });
  if (running.metricsUrl !== undefined) logger.info("metrics served", { url: running.metricsUrl });
  return running;
}

/**
 * A line saying which worker runs and what it does.
 *
 * @param worker the worker
 * @param config the config
 * @returns the line
 */
export function describeWorker(worker: Worker, config: Config): string {
  const { concurrency, leaseSeconds, alwaysDeleteAfterFetch } = config.worker;
  return `worker:            ${worker.owner} (${concurrency} at a time, leases ${leaseSeconds} s${alwaysDeleteAfterFetch ? ", always deletes after fetch" : ""})\n`;
}

export const workerCommand: Command = {
  words: ["worker"],
  summary: "Collect mail from every applied mailbox until SIGINT/SIGTERM",
  usage: "worker [--metrics-port P] [--config FILE]",
  async run(argv, io) {
    const { values } = parse(argv, { "metrics-port": { type: "string" } });
    const metricsPort = _metricsPort(values["metrics-port"]);
    const { config } = await configContext(io, values.config);
    const running = await startCliWorker(io, config, metricsPort === undefined ? {} : { metricsPort });
    io.err(describeWorker(running.worker, config));
    if (running.metricsUrl !== undefined) io.err(`metrics:           ${running.metricsUrl}\n`);
    const signal = await io.untilStopped();
    io.err(`${signal}: stopping after the current chunk\n`);
    await running.stop();
    return 0;
  },
};

function _metricsPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError("--metrics-port must be 0 to 65535");
  }
  return port;
}
