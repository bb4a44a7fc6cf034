/**
 * `mailreg start` (what `npm start` runs): initialises the folder on first run (config, keys,
 * database, first admin credentials), says where everything is, then runs the registration site
 * and admin app and, in the same process, the worker that collects the mail — until SIGINT or
 * SIGTERM. The app's "sync now" wakes this worker; one `/metrics` shows the app's and the worker's
 * metrics. Without a private key (a registration-only folder) the app runs alone.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { createMetrics } from "@mailreg/registration";
import type { RunningWorker } from "@mailreg/worker/node";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext } from "../context.ts";
import { describeInit, initialise } from "./init.ts";
import { portOption, serveUntilStopped } from "./serve.ts";
import { describeWorker, startCliWorker } from "./worker.ts";

export const startCommand: Command = {
  words: ["start"],
  summary: "Initialise on first run, then run the registration site, the admin app and the worker",
  usage: "start [--port P] [--config FILE]",
  async run(argv, io) {
    const { values } = parse(argv, { port: { type: "string" } });
    const port = portOption(values.port);
    const result = await initialise(io, values.config === undefined ? {} : { config: values.config });
    io.out(`mailreg is set up here:\n${describeInit(result)}\n`);
    const { config } = await configContext(io, result.config.path);
    const metrics = createMetrics();
    let running: RunningWorker | undefined;
    try {
      running = await startCliWorker(io, config, { registry: metrics.registry });
      io.out(describeWorker(running.worker, config));
    } catch (error) {
      if (!isMailregError(error, "SEAL_NO_PRIVATE_KEY")) throw error;
      io.err(`warning: no worker: ${error.message}\n`);
    }
    const worker = running?.worker;
    try {
      return await serveUntilStopped(io, {
        config: result.config.path,
        port,
        app: {
          metrics,
          ...(worker === undefined
            ? {}
            : { requestSync: (mailboxId: string, actor: string) => worker.requestSync(mailboxId, actor) }),
        },
      });
    } finally {
      await running?.stop();
    }
  },
};
