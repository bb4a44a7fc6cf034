/**
 * The Node adapter: `startWorker` prepares and starts the worker (named after the host and process
 * id), optionally serving its metrics on `/metrics`; run as a program
 * (`node apps/worker/dist/main.node.js [--config FILE] [--metrics-port P]`) it works until SIGINT or
 * SIGTERM, lets every run finish its current chunk, releases the leases and exits.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig, newId } from "@mailreg/core";
import { CONNECTORS } from "./connectors.ts";
import { type PrepareWorkerOptions, prepareWorker } from "./prepare.ts";
import type { Worker } from "./worker.ts";

/** Options of {@link startWorker}. */
export interface StartWorkerOptions extends PrepareWorkerOptions {
  /** Serve the worker's metrics on this port (0 picks a free one); default none. */
  metricsPort?: number;
  /** The address of the metrics server; default 127.0.0.1. */
  metricsHost?: string;
}

/** A running worker. */
export interface RunningWorker {
  worker: Worker;
  /** The metrics URL, when served. */
  metricsUrl?: string;
  /** Stops the worker (current chunks finish, leases released), the metrics server and the store. */
  stop(): Promise<void>;
}

/**
 * Starts the worker on Node.
 *
 * @param options the config, metrics server, and the worker's other dependencies
 * @returns the running worker
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * import { startWorker } from "@mailreg/worker/node";
 * const { config } = await loadConfig();
 * const running = await startWorker({ config, metricsPort: 9464 });
 * process.once("SIGTERM", () => void running.stop());
 * ```
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { metricsPort, metricsHost = "127.0.0.1", ...rest } = options;
  const { worker, store } = await prepareWorker({
    owner: `worker-${hostname()}-${process.pid}-${newId().slice(-6)}`,
    ...rest,
  });
  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (metricsPort !== undefined) {
    const { registry } = worker.metrics;
    server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject).listen(metricsPort, metricsHost, resolve);
      });
    } catch (error) {
      store.close();
      throw error;
    }
    const address = server.address() as AddressInfo;
    metricsUrl = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/metrics`;
  }
  worker.start();
  return {
    worker,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
    stop: async () => {
      await worker.stop();
      await new Promise<void>((resolve) =>
        server === undefined ? resolve() : server.close(() => resolve()),
      );
      store.close();
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { config: { type: "string", short: "c" }, "metrics-port": { type: "string" } },
  });
  const { config, warnings } = await loadConfig({
    connectors: CONNECTORS,
    ...(values.config === undefined ? {} : { path: values.config }),
  });
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const port = values["metrics-port"];
  const running = await startWorker({ config, ...(port === undefined ? {} : { metricsPort: Number(port) }) });
  // exit once the log lines still queued for a slow reader of stdout are written, not before
  const exit = (code: number) => process.stdout.write("", () => process.exit(code));
  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    running.stop().then(
      () => exit(0),
      (error: unknown) => {
        console.error(error);
        exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
