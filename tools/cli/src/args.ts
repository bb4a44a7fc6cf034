/**
 * Option parsing on node:util's parseArgs, strict: an unknown option is a usage error.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "./usage-error.ts";

/** Options every command understands. */
export const GLOBAL_OPTIONS = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Parsed option values: booleans for flags, strings for the rest, undefined when not given. */
export type OptionValues<O extends OptionSpec> = {
  [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : string;
};

/** What {@link parse} returns. */
export interface ParsedArgs<O extends OptionSpec> {
  values: OptionValues<O & typeof GLOBAL_OPTIONS>;
  positionals: string[];
}

/**
 * Parses a command's arguments against its options plus {@link GLOBAL_OPTIONS}.
 *
 * @param argv the arguments after the command words
 * @param options the command's own options
 * @returns parsed values and positionals
 */
export function parse<O extends OptionSpec>(argv: string[], options: O): ParsedArgs<O> {
  try {
    return parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    }) as ParsedArgs<O>;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
}
