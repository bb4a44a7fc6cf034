/**
 * A thread that runs write transactions on its own connection to a `file:` database
 * (`node:worker_threads`, which Deno provides too).
 *
 * libSQL's embedded driver runs SQLite synchronously on the calling thread: a large commit blocks
 * that thread's event loop, and with it the sockets it reads. On a thread of its own the same commit
 * overlaps with them. The thread's program is {@link _threadMain}, passed to the Worker as source text
 * (it imports nothing: `require` is handed in), so it runs the same from the TypeScript sources
 * (Deno, vitest) and from the built JavaScript (Node).
 *
 * @module
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { InStatement } from "@libsql/client";

/** A running writer thread. */
export interface WriterThread {
  /** Resolves when the thread's connection is open; rejects when the thread cannot start. */
  readonly ready: Promise<void>;
  /**
   * Runs `statements` in one write transaction (`BEGIN IMMEDIATE` … `COMMIT`, rolled back on error),
   * after the transactions given before.
   */
  run(statements: InStatement[]): Promise<void>;
  /** Ends the thread after the transactions given so far. */
  close(): Promise<void>;
  /** True once the thread failed or ended: every later `run` rejects. */
  readonly ended: boolean;
  /** The thread's id (`worker_threads`). */
  readonly threadId: number;
}

interface _Reply {
  id: number;
  /** The job's blob buffer, given back for the next job. */
  buffer?: ArrayBuffer;
  error?: { message: string; code?: string; extendedCode?: string };
}

/**
 * Starts a writer thread on the database file at `path`, with the store's connection settings
 * (`busy_timeout`, `synchronous=NORMAL`, `foreign_keys=ON`; the file is already in WAL mode).
 *
 * @param path the database file's path (relative to the working directory, or absolute)
 * @param busyTimeoutMs how long a transaction waits for another connection's lock
 * @returns the thread; `close()` it when done
 */
export function startWriterThread(path: string, busyTimeoutMs: number): WriterThread {
  const clientPath = createRequire(import.meta.url).resolve("@libsql/client/sqlite3");
  const worker = new Worker(`(${_threadMain.toString()})(require);`, {
    eval: true,
    workerData: { clientPath, url: `file:${resolve(path)}`, busyTimeoutMs },
  });
  worker.unref();
  const waiting = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
  let next = 1;
  let failure: unknown;
  /** A buffer the thread gave back: reused, so a run does not allocate one per chunk. */
  let spare: ArrayBuffer | undefined;
  const failAll = (error: unknown) => {
    failure ??= error;
    for (const job of waiting.values()) job.reject(failure);
    waiting.clear();
    worker.unref();
  };
  worker.on("message", (reply: _Reply) => {
    const job = waiting.get(reply.id);
    if (job === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if (reply.buffer !== undefined) spare = reply.buffer;
    if (reply.error === undefined) job.resolve();
    else job.reject(Object.assign(new Error(reply.error.message), reply.error));
  });
  worker.on("error", failAll);
  worker.on("exit", () => failAll(new Error("The writer thread ended")));
  const post = (message: { id: number; statements?: InStatement[]; close?: true }) =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      waiting.set(message.id, { resolve, reject });
      worker.ref(); // a pending transaction keeps the process alive
      const packed = message.statements === undefined ? undefined : _packBlobs(message.statements, spare);
      if (packed !== undefined) spare = undefined;
      worker.postMessage(
        packed === undefined ? message : { ...message, ...packed },
        packed === undefined ? [] : [packed.buffer],
      );
    });
  const ready = post({ id: 0 });
  ready.catch(() => {});
  return {
    ready,
    get ended() {
      return failure !== undefined;
    },
    threadId: worker.threadId,
    run: (statements) => post({ id: next++, statements }),
    async close() {
      await post({ id: next++, close: true }).catch(() => {});
      await worker.terminate();
    },
  };
}

/**
 * The statements with every byte-array argument copied into one buffer (`spare` when it is large
 * enough), which is then moved to the thread instead of copied: cloning thousands of small arrays
 * (each pinning its whole pooled `ArrayBuffer`) costs more than one copy. Undefined when there is
 * no blob.
 */
function _packBlobs(
  statements: InStatement[],
  spare: ArrayBuffer | undefined,
): { statements: InStatement[]; buffer: ArrayBuffer } | undefined {
  let total = 0;
  for (const statement of statements) {
    if (typeof statement === "string" || !Array.isArray(statement.args)) continue;
    for (const arg of statement.args) if (arg instanceof Uint8Array) total += arg.byteLength;
  }
  if (total === 0) return undefined;
  // a quarter more than needed: the next chunk, a little larger, fits too
  const buffer =
    spare !== undefined && spare.byteLength >= total ? spare : new ArrayBuffer(total + (total >> 2));
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const packed = statements.map((statement) => {
    if (typeof statement === "string" || !Array.isArray(statement.args)) return statement;
    const args = statement.args.map((arg) => {
      if (!(arg instanceof Uint8Array)) return arg;
      bytes.set(arg, offset);
      const view = bytes.subarray(offset, offset + arg.byteLength);
      offset += arg.byteLength;
      return view;
    });
    return { sql: statement.sql, args };
  });
  return { statements: packed, buffer };
}

/**
 * The thread's program. Self-contained: it is sent as text and runs with `load` = the thread's `require`.
 * Jobs run one after another in arrival order; job 0 only reports that the connection is open.
 */
function _threadMain(load: (id: string) => unknown): void {
  type Client = {
    executeMultiple(sql: string): Promise<void>;
    batch(statements: unknown[], mode: "write"): Promise<unknown>;
    close(): void;
  };
  const { parentPort, workerData } = load("node:worker_threads") as {
    parentPort: {
      on(event: "message", fn: (job: never) => void): void;
      postMessage(reply: unknown, transfer?: ArrayBuffer[]): void;
    };
    workerData: { clientPath: string; url: string; busyTimeoutMs: number };
  };
  const { createClient } = load(workerData.clientPath) as {
    createClient(config: { url: string; timeout: number; concurrency: number }): Client;
  };
  let client: Client | undefined;
  let queue: Promise<void> = Promise.resolve().then(async () => {
    client = createClient({ url: workerData.url, timeout: workerData.busyTimeoutMs, concurrency: 1 });
    await client.executeMultiple("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  });
  parentPort.on(
    "message",
    (job: { id: number; statements?: unknown[]; buffer?: ArrayBuffer; close?: true }) => {
      queue = queue.then(
        async () => {
          try {
            if (job.statements !== undefined && job.statements.length > 0)
              await client!.batch(job.statements, "write");
            if (job.close === true) client!.close();
            // the blobs' buffer goes back, to carry the next job's blobs
            parentPort.postMessage(
              job.buffer === undefined ? { id: job.id } : { id: job.id, buffer: job.buffer },
              job.buffer === undefined ? [] : [job.buffer],
            );
          } catch (error) {
            const e = error as { message?: unknown; code?: unknown; extendedCode?: unknown };
            parentPort.postMessage({
              id: job.id,
              error: {
                message: String(e?.message ?? error),
                ...(typeof e?.code === "string" ? { code: e.code } : {}),
                ...(typeof e?.extendedCode === "string" ? { extendedCode: e.extendedCode } : {}),
              },
            });
          }
        },
        (error: unknown) => {
          // the connection never opened: every job fails with that reason
          parentPort.postMessage({
            id: job.id,
            error: { message: String((error as Error)?.message ?? error) },
          });
          return Promise.reject(error);
        },
      );
    },
  );
}
