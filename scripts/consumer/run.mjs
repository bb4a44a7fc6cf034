// Small helpers of the consumer check: running a command without blocking the others, limited
// parallelism, sizes, medians, and the list of problems the check collects (one per package and point,
// so a run reports every failing point instead of stopping at the first).
import { spawn } from "node:child_process";
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Runs a command and collects its output; never throws for a non-zero exit (the caller judges).
 *
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ cwd?: string, env?: Record<string, string | undefined>, timeoutMs?: number }} [options]
 * @returns {Promise<{ status: number | null, stdout: string, stderr: string, ms: number, timedOut: boolean }>}
 */
export function run(command, args, options = {}) {
  const { cwd, env = process.env, timeoutMs = 120_000 } = options;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      _killGroup(child.pid);
    }, timeoutMs);
    const done = (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started, timedOut });
    };
    child.on("error", (error) => {
      stderr += String(error);
      done(null);
    });
    child.on("close", (code) => done(code));
  });
}

/** Ends a process group this check started (its own child and what that child started). */
function _killGroup(pid) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Runs `fn` over `items` with at most `limit` at a time; results in input order.
 *
 * @template T, R
 * @param {readonly T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The median of numbers (undefined for none). */
export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Walks a folder (not following links): total bytes of its files, their count, and the files whose
 * path matches `pick`.
 *
 * @param {string} dir
 * @param {(path: string) => boolean} [pick]
 * @returns {{ bytes: number, files: number, picked: string[] }}
 */
export function walk(dir, pick = () => false) {
  let bytes = 0;
  let files = 0;
  const picked = [];
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop();
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        bytes += lstatSync(path).size;
        files++;
        if (pick(path)) picked.push(path);
      }
    }
  }
  return { bytes, files, picked };
}

/** The package folders directly in a node_modules folder (scoped ones as `@scope/name`). */
export function installedPackages(nodeModules) {
  const names = [];
  let entries;
  try {
    entries = readdirSync(nodeModules, { withFileTypes: true });
  } catch {
    return names;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    if (entry.name.startsWith("@")) {
      for (const inner of readdirSync(join(nodeModules, entry.name), { withFileTypes: true })) {
        if (inner.isDirectory()) names.push(`${entry.name}/${inner.name}`);
      }
    } else names.push(entry.name);
  }
  return names;
}

/** Bytes in words: `812 KB`, `9.4 MB`. */
export function formatBytes(bytes) {
  if (bytes === undefined) return "-";
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** What the check found wrong: each a package (or "consumer", "host app") and a sentence. */
export class Problems {
  /** @type {{ subject: string, point: string, detail: string }[]} */
  list = [];

  /**
   * Notes a problem.
   *
   * @param {string} subject the package (e.g. `@mailreg/store`) or the part of the check
   * @param {string} point the checked point in a few words (e.g. "installs without native module")
   * @param {string} detail what was found
   */
  add(subject, point, detail) {
    this.list.push({ subject, point, detail: detail.trim() });
  }

  /** Runs a part of the check; an exception becomes a problem of `subject` instead of ending the check. */
  async guard(subject, point, fn) {
    try {
      return await fn();
    } catch (error) {
      this.add(subject, point, error instanceof Error ? (error.stack ?? error.message) : String(error));
      return undefined;
    }
  }

  /** Whether `subject` has a problem (optionally for `point`). */
  has(subject, point) {
    return this.list.some((p) => p.subject === subject && (point === undefined || p.point === point));
  }
}

/** The last `n` lines of a text, for a problem's detail. */
export function tail(text, n = 15) {
  const lines = text.trimEnd().split("\n");
  return (lines.length > n ? ["…", ...lines.slice(-n)] : lines).join("\n");
}
