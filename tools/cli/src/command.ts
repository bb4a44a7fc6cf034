/**
 * The shape every CLI command has. Commands register in the Map of `commands.ts`; adding one is a
 * new file plus one line there.
 *
 * @module
 */
import type { Io } from "./io.ts";

/** One command (or sub-command) of `mailreg`. */
export interface Command {
  /** The words that select it, e.g. `["registrations", "apply"]`. */
  words: string[];
  /** One line for the help listing. */
  summary: string;
  /** The usage line(s) after `mailreg `, e.g. `registrations apply ID --instance X`. */
  usage: string;
  /** Runs it; returns the exit code (0 success, 1 failure). Throws UsageError for exit code 2. */
  run(argv: string[], io: Io): Promise<number>;
}
