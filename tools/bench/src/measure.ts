/**
 * Runs one command as a child process and measures it the same way for every tool: wall seconds
 * (spawn to exit) and peak RSS of the largest process in its tree (GNU time's `%M`, i.e. the
 * `ru_maxrss` the kernel reports for the child and the descendants it waited for).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** GNU time, from Debian's `time` package. */
export const GNU_TIME = "/usr/bin/time";

/** What {@link measureCommand} saw. */
export interface Measured {
  /** Wall seconds from spawn to exit. */
  seconds: number;
  /** Peak RSS in MiB (largest process of the tree); NaN when GNU time could not say. */
  rssMb: number;
  /** Exit code (null when killed). */
  code: number | null;
  /** Whether the exit code is one of the accepted ones. */
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Options of {@link measureCommand}. */
export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGKILL) after this long. Default 15 minutes. */
  timeoutMs?: number;
  /** Exit codes that mean success. Default [0]. */
  okCodes?: readonly number[];
}

/**
 * Runs `argv` under GNU time and returns its wall time, peak RSS, exit code and output.
 *
 * @param argv the program and its arguments
 * @param options environment, directory, timeout, accepted exit codes
 * @returns the measurement
 * @example
 * ```ts
 * const m = await measureCommand(["mbsync", "-c", "mbsyncrc", "-a"]);
 * console.log(m.seconds, m.rssMb, m.ok);
 * ```
 */
export async function measureCommand(
  argv: readonly string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing (apt-get install -y time)`);
  const dir = await mkdtemp(join(tmpdir(), "mailreg-measure-"));
  const rssFile = join(dir, "rss");
  const okCodes = options.okCodes ?? [0];
  try {
    const started = performance.now();
    const child = spawn(GNU_TIME, ["-f", "%M", "-o", rssFile, ...argv], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      // its own process group: a timeout stops the tool and its children, not only GNU time
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout = _bounded(stdout + s);
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr = _bounded(stderr + s);
    });
    const timer = setTimeout(
      () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      },
      options.timeoutMs ?? 15 * 60_000,
    );
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c) => resolve(c));
    });
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    const kib = Number.parseInt(
      (await readFile(rssFile, "utf8").catch(() => "")).trim().split("\n").pop() ?? "",
      10,
    );
    return {
      seconds,
      rssMb: Number.isFinite(kib) ? kib / 1024 : Number.NaN,
      code,
      ok: code !== null && okCodes.includes(code),
      stdout,
      stderr,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Keeps the last 64 KiB of a growing output (a chatty tool must not fill the memory). */
function _bounded(text: string): string {
  return text.length > 65_536 ? text.slice(-65_536) : text;
}
