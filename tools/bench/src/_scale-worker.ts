/**
 * One worker process for the scale benchmark: `mailreg worker` as `startWorker` runs it (config
 * file, store, leases, scheduler), with a logger that counts instead of printing. Takes one JSON
 * argument `{"config": FILE, "tickMs": n, "scanMs": n}`; on SIGTERM it stops (each run finishes
 * its chunk, leases are released) and prints one JSON line: `{owner, runs, ok, failed, fetched}`.
 *
 * @module
 */
import process from "node:process";
import { type Logger, loadConfig } from "@mailreg/core";
import { CONNECTORS } from "@mailreg/registration";
import { startWorker } from "@mailreg/worker/node";

const job = JSON.parse(process.argv[2] ?? "{}") as { config: string; tickMs?: number; scanMs?: number };
const counts = { runs: 0, ok: 0, failed: 0, fetched: 0, errors: [] as string[] };
const logger: Logger = {
  info(message, fields) {
    if (message !== "sync") return;
    counts.runs++;
    counts.ok++;
    counts.fetched += Number(fields?.fetched ?? 0);
  },
  warn(message, fields) {
    if (message !== "sync") return;
    counts.runs++;
    counts.failed++;
    if (counts.errors.length < 5)
      counts.errors.push(`${String(fields?.errorCode)}: ${String(fields?.error)}`);
  },
  error(message, fields) {
    if (counts.errors.length < 5) counts.errors.push(`${message} ${JSON.stringify(fields ?? {})}`);
  },
};
const { config } = await loadConfig({ path: job.config, connectors: CONNECTORS });
const owner = `bench-${process.pid}`;
const running = await startWorker({
  config,
  logger,
  owner,
  ...(job.tickMs === undefined ? {} : { tickMs: job.tickMs }),
  ...(job.scanMs === undefined ? {} : { scanMs: job.scanMs }),
});
process.stdout.write(`${JSON.stringify({ started: owner })}\n`);
process.once("SIGTERM", () => {
  void running.stop().then(() => {
    process.stdout.write(`${JSON.stringify({ owner, ...counts })}\n`);
    process.exit(0);
  });
});
