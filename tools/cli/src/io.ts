/**
 * What a command may touch of the outside world, so tests run commands in-process.
 *
 * @module
 */
import process from "node:process";

/** Output streams, environment and working directory of one CLI invocation. */
export interface Io {
  /** Writes to standard output (the command's result). */
  out(text: string): void;
  /** Writes to standard error (progress, warnings, errors). */
  err(text: string): void;
  /** The environment (for MAILREG_* overrides). */
  env: Record<string, string | undefined>;
  /** The working directory relative paths start from. */
  cwd: string;
  /** Whether standard error is a terminal (progress bars are drawn only then). */
  interactive: boolean;
  /** The stream progress bars draw on. */
  progressStream: NodeJS.WritableStream;
  /** Resolves when a long-running command (serve, start, worker) should stop: SIGINT or SIGTERM. */
  untilStopped(): Promise<string>;
}

/** The real process's streams and environment. */
export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    interactive: process.stderr.isTTY === true,
    progressStream: process.stderr,
    untilStopped: () =>
      new Promise((resolve) => {
        const stop = (signal: string) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve(signal);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }),
  };
}
