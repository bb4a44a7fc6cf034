/**
 * Structured logs, as the registration app and the worker write them: one JSON object per line,
 * `{"time","level","msg",...fields}`, handed to an injected write function (the console by
 * default). Callers pass fields, never a request body, message content or a secret.
 *
 * @module
 */

/** Fields of one log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Where a process logs. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * A logger writing one JSON line per entry: `{"time","level","msg",...fields}`.
 *
 * @param write where each line goes (without a newline); default `console.log`
 * @param clock the time; default now
 * @returns the logger
 * @example
 * ```ts
 * import { jsonLogger } from "@mailreg/core";
 * const lines: string[] = [];
 * jsonLogger((line) => lines.push(line)).info("sync", { mailboxId: "0193…", fetched: 3 });
 * console.log(JSON.parse(lines[0]!).fetched); // 3
 * ```
 */
export function jsonLogger(
  write: (line: string) => void = (line) => console.log(line),
  clock: () => Date = () => new Date(),
): Logger {
  const log =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      write(JSON.stringify({ time: clock().toISOString(), level, msg, ...fields }));
  return { info: log("info"), warn: log("warn"), error: log("error") };
}
