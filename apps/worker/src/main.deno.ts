/**
 * The Deno adapter: `npx deno run -A apps/worker/src/main.deno.ts [--config FILE] [--metrics-port P]`
 * loads the config, prepares and starts the worker, optionally serves its metrics with `Deno.serve`,
 * and on SIGINT or SIGTERM lets every run finish its current chunk, releases the leases and exits.
 *
 * @module
 */
import { loadConfig, newId } from "@mailreg/core";
import { CONNECTORS } from "./connectors.ts";
import { type PrepareWorkerOptions, prepareWorker } from "./prepare.ts";
import type { Worker } from "./worker.ts";

interface _Deno {
  serve(
    options: {
      hostname: string;
      port: number;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  hostname(): string;
  exit(code: number): never;
  pid: number;
  args: string[];
}

const _deno = (globalThis as unknown as { Deno: _Deno }).Deno;

/**
 * Starts the worker under Deno.
 *
 * @param options the config, the metrics port, and the worker's other dependencies
 * @returns the worker and a function that stops it (and the metrics server) and closes the store
 */
export async function startWorkerDeno(
  options: PrepareWorkerOptions & { metricsPort?: number },
): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const { metricsPort, ...rest } = options;
  const { worker, store } = await prepareWorker({
    owner: `worker-${_deno.hostname()}-${_deno.pid}-${newId().slice(-6)}`,
    ...rest,
  });
  const { registry } = worker.metrics;
  const server =
    metricsPort === undefined
      ? undefined
      : _deno.serve({ hostname: "127.0.0.1", port: metricsPort }, async (request) =>
          new URL(request.url).pathname === "/metrics"
            ? new Response(await registry.metrics(), { headers: { "Content-Type": registry.contentType } })
            : new Response(null, { status: 404 }),
        );
  worker.start();
  return {
    worker,
    stop: async () => {
      await worker.stop();
      await server?.shutdown();
      store.close();
    },
  };
}

if ((import.meta as { main?: boolean }).main === true) {
  const arg = (name: string) => {
    const at = _deno.args.indexOf(name);
    return at >= 0 ? _deno.args[at + 1] : undefined;
  };
  const path = arg("--config");
  const port = arg("--metrics-port");
  const { config, warnings } = await loadConfig({
    connectors: CONNECTORS,
    ...(path === undefined ? {} : { path }),
  });
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const running = await startWorkerDeno({
    config,
    ...(port === undefined ? {} : { metricsPort: Number(port) }),
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.stop().then(
      () => _deno.exit(0),
      (error: unknown) => {
        console.error(error);
        _deno.exit(1);
      },
    );
  };
  _deno.addSignalListener("SIGINT", stop);
  _deno.addSignalListener("SIGTERM", stop);
}
