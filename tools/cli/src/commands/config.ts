/**
 * `mailreg config validate`: loads the config as every app would. An invalid config fails with
 * CONFIG_INVALID and every problem listed by its path (exit 1).
 *
 * @module
 */
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext } from "../context.ts";
import { emit } from "../output.ts";

export const configValidateCommand: Command = {
  words: ["config", "validate"],
  summary: "Check the config; exit 1 with every problem listed by its path",
  usage: "config validate [--config FILE] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, {});
    const { path, found } = await configContext(io, values.config);
    emit(io, values.json, { valid: true, path, found }, () =>
      found
        ? `${path}: valid\n`
        : `${path} does not exist; the defaults (with MAILREG_* variables) are valid\n`,
    );
    return 0;
  },
};
