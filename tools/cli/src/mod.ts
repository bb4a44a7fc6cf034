/**
 * The `mailreg` command, callable in-process for tests and embedding.
 *
 * @module
 */
export type { Command } from "./command.ts";
export type { Io } from "./io.ts";
export { main } from "./main.ts";
export { UsageError } from "./usage-error.ts";
