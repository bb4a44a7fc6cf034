/**
 * `mailreg start` (what `npm start` runs): initialises the folder on first run (config, keys,
 * database, first admin credentials), says where everything is, then runs the registration site and
 * admin app until SIGINT or SIGTERM.
 *
 * @module
 */
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { describeInit, initialise } from "./init.ts";
import { portOption, serveUntilStopped } from "./serve.ts";

export const startCommand: Command = {
  words: ["start"],
  summary: "Initialise on first run, then run the registration site and admin app",
  usage: "start [--port P] [--config FILE]",
  async run(argv, io) {
    const { values } = parse(argv, { port: { type: "string" } });
    const port = portOption(values.port);
    const result = await initialise(io, values.config === undefined ? {} : { config: values.config });
    io.out(`mailreg is set up here:\n${describeInit(result)}\n`);
    return await serveUntilStopped(io, { config: result.config.path, port });
  },
};
