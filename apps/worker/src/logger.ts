/**
 * Structured logs: one JSON object per line. Callers pass fields, never a secret.
 *
 * @module
 */

/** Fields of one log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Where the worker logs (the same shape as the registration app's logger, so one can serve both). */
export interface WorkerLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * A logger writing one JSON line per entry: `{"time","level","msg",...fields}`.
 *
 * @param write where each line goes; default `console.log`
 * @returns the logger
 * @example
 * ```ts
 * import { jsonLogger } from "@mailreg/worker";
 * const lines: string[] = [];
 * jsonLogger((line) => lines.push(line)).info("sync", { mailboxId: "0193…", fetched: 3 });
 * console.log(JSON.parse(lines[0]!).fetched); // 3
 * ```
 */
export function jsonLogger(write: (line: string) => void = (line) => console.log(line)): WorkerLogger {
  const log =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
  return { info: log("info"), warn: log("warn"), error: log("error") };
}
