/**
 * `mailreg config validate`: loads the config as every app would, checking connector sections
 * against the registries (sources, sinks, OAuth providers). An invalid config fails with
 * CONFIG_INVALID and every problem listed by its path (exit 1). `mailreg config schema`: the JSON
 * Schema of the config file with every registered connector's options, for editors.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { configJsonSchema } from "@mailreg/core";
import { CONNECTORS } from "@mailreg/registration";
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

export const configSchemaCommand: Command = {
  words: ["config", "schema"],
  summary: "Print (or write) the config's JSON Schema, with the registered connectors' options",
  usage: "config schema [--out FILE]",
  async run(argv, io) {
    const { values } = parse(argv, { out: { type: "string" } });
    const text = `${JSON.stringify(configJsonSchema(CONNECTORS), null, 2)}\n`;
    if (typeof values.out === "string") {
      const file = resolve(io.cwd, values.out);
      await writeFile(file, text);
      io.out(`wrote ${file}\n`);
    } else {
      io.out(text);
    }
    return 0;
  },
};
