/**
 * Entry of the `mailreg` command: finds the command by its words, runs it and turns errors into
 * exit codes: 0 success, 1 failure (a typed error, printed with its code), 2 usage.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { COMMANDS } from "./commands.ts";
import { type Io, processIo } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/**
 * Runs `mailreg` with the given arguments.
 *
 * @param argv the arguments after `mailreg`
 * @param io streams and environment (the process's by default)
 * @returns the exit code
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const json = argv.includes("--json");
  const command = COMMANDS.find((c) => c.words.every((w, i) => argv[i] === w));
  if (command === undefined) {
    const help = argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h";
    (help ? io.out : io.err)(_help(argv));
    return help ? 0 : 2;
  }
  const rest = argv.slice(command.words.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`usage: mailreg ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`usage error: ${e.message}\nusage: mailreg ${command.usage}\n`);
      return 2;
    }
    if (isMailregError(e)) {
      io.err(json ? `${JSON.stringify({ error: e.toJSON() })}\n` : `error [${e.code}]: ${e.message}\n`);
      return 1;
    }
    io.err(`error [INTERNAL]: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function _help(argv: string[]): string {
  const prefix =
    argv[0] !== undefined && !argv[0].startsWith("-") && argv[0] !== "help" ? argv[0] : undefined;
  const list = COMMANDS.filter((c) => prefix === undefined || c.words[0] === prefix);
  const shown = list.length > 0 ? list : COMMANDS;
  const width = Math.max(...shown.map((c) => c.usage.length));
  const unknown =
    prefix !== undefined || (argv.length > 0 && argv[0] !== "help" && !argv[0]?.startsWith("-"));
  return `${unknown ? `unknown command: mailreg ${argv.join(" ")}\n\n` : ""}usage: mailreg <command> [options]\n\n${shown
    .map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)
    .join("\n")}\n\nEvery command takes --config FILE (or MAILREG_CONFIG) and --json.\n`;
}
