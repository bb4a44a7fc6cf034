/**
 * `mailreg start` (what `npm start` runs): initialises the folder on first run and says where
 * everything is. The registration app and the worker join here as they are built.
 *
 * @module
 */
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { emit } from "../output.ts";
import { describeInit, initialise } from "./init.ts";

export const startCommand: Command = {
  words: ["start"],
  summary: "Initialise on first run (config, keys, database) and report where everything is",
  usage: "start [--config FILE] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, {});
    const result = await initialise(io, values.config === undefined ? {} : { config: values.config });
    emit(io, values.json, result, () => `mailreg is set up here:\n${describeInit(result)}`);
    return 0;
  },
};
