/**
 * Test helper (not built): the worker as its own process, as `mailreg worker` runs it —
 * `node --import tsx src/main.node.ts --config FILE` — with its JSON log lines
 * collected and the test servers' CA trusted. Under `npm test` (which builds everything first and sets
 * `TEST_USE_BUILD=1`) it runs the built `dist/main.node.js` instead, as `mailreg worker` does:
 * half the start-up time, which the crash tests pay dozens of times.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAIN = fileURLToPath(new URL("../src/main.node.ts", import.meta.url));
const BUILT = fileURLToPath(new URL("../dist/main.node.js", import.meta.url));
/** The node arguments that start the worker: the build when `npm test` just made it, else the sources. */
const ARGS = process.env.TEST_USE_BUILD === "1" ? [BUILT] : ["--import", "tsx", MAIN];

/** A worker process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Its JSON log lines. */
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a worker process on a config file.
 *
 * @param configPath the config file
 * @param caPath the test servers' CA file (`inject("mailservers").caPath`), trusted through NODE_EXTRA_CA_CERTS
 * @returns the process
 */
export function spawnWorker(configPath: string, caPath: string): WorkerProcess {
  const child = spawn(process.execPath, [...ARGS, "--config", configPath], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let rest = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) if (part.trim() !== "") lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, stderr: () => stderr, exited };
}
