/**
 * Test helper (not built): `mailreg` as its own process, as `npm start` runs it after building
 * (`node tools/cli/bin/mailreg.js start`). Under `npm test` (which builds first and sets
 * `TEST_USE_BUILD=1`) that very file runs; otherwise the sources, through tsx.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../bin/mailreg.js", import.meta.url));
const SOURCE = fileURLToPath(new URL("./mailreg-source.ts", import.meta.url));
// tsx by its location: the process runs in a folder of its own, where a bare "tsx" is not found
const ARGS = process.env.TEST_USE_BUILD === "1" ? [BIN] : ["--import", import.meta.resolve("tsx"), SOURCE];
// and the workspace's tsconfig, whose `paths` lead `@mailreg/*` to the sources (tsx looks for one in
// the working directory, which is not in the repository here)
const TSX_ENV: Record<string, string> =
  process.env.TEST_USE_BUILD === "1"
    ? {}
    : { TSX_TSCONFIG_PATH: fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)) };

/** A running `mailreg` process. */
export interface MailregProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `mailreg <args>` in `cwd` with exactly `env` (plus PATH).
 *
 * @param args the command line after `mailreg`
 * @param options the working directory and environment
 * @returns the process
 */
export function spawnMailreg(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): MailregProcess {
  const child = spawn(process.execPath, [...ARGS, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...TSX_ENV, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
