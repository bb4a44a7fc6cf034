/**
 * Running `mailreg` in-process for tests: captured output, a chosen working directory and environment.
 *
 * @module
 */
import { PassThrough } from "node:stream";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

/** The outcome of one captured run. */
export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = unknown>(): T;
}

/**
 * Runs `mailreg ARGV` in `cwd` with `env`, capturing its output.
 *
 * @param argv the arguments
 * @param options the working directory and environment
 * @returns exit code and output
 */
export async function runCli(
  argv: string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    /** For long-running commands: resolves when they should stop (default: at once). */
    untilStopped?: (io: { stdout: () => string }) => Promise<string>;
  },
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    env: options.env ?? { USER: "tester" },
    cwd: options.cwd,
    interactive: false,
    progressStream: new PassThrough(),
    untilStopped: () => options.untilStopped?.({ stdout: () => stdout }) ?? Promise.resolve("SIGTERM"),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
