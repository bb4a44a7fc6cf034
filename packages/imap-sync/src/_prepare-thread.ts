/**
 * Preparing collected messages for the store — content hash, envelope, Message-ID — on a thread of
 * its own (`node:worker_threads`, which Deno provides too), so the thread that reads the IMAP
 * connection only reads it.
 *
 * Measured in a 10,000-message initial sync on this 2-core machine, parsing the envelopes and
 * hashing on the reading thread cost it ≈ 400 ms of CPU, more than the rest of the engine together.
 * The thread's program is {@link _threadMain} plus the self-contained {@link envelopeParser}, given
 * to the Worker as source text (no imports: `require` is handed in), so it runs the same from the
 * TypeScript sources (Deno, vitest) and from the built JavaScript (Node). Where no thread can be
 * started, the same work runs on the calling thread.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { envelopeParser } from "./_envelope-parser.ts";
import { contentHash } from "./content-hash.ts";

/** What preparing one message gives. */
export interface PreparedParts {
  /** Hex SHA-256 of the raw message. */
  contentHash: string;
  /** The envelope as JSON text (what the store keeps). */
  envelopeJson: string;
  /** The envelope's Message-ID. */
  messageId: string | undefined;
}

/** Prepares batches of raw messages, in the order given. */
export interface Preparer {
  /** The parts of each message of `raws`, in the same order. */
  prepare(raws: readonly Uint8Array[]): Promise<PreparedParts[]>;
  /** Ends the thread, if any. */
  close(): Promise<void>;
}

/**
 * Prepares on the calling thread.
 *
 * @returns the preparer
 */
export function prepareHere(): Preparer {
  const parser = envelopeParser();
  return {
    prepare: async (raws) =>
      raws.map((raw) => {
        const envelope = parser.parseEnvelope(raw);
        return {
          contentHash: contentHash(raw),
          envelopeJson: JSON.stringify(envelope),
          messageId: envelope.messageId,
        };
      }),
    close: async () => {},
  };
}

/**
 * Prepares on a thread of its own (started at once, ≈ 30 ms), or on the calling thread when no
 * thread can be started.
 *
 * @returns the preparer; `close()` it when done
 */
export function startPrepareThread(): Preparer {
  let worker: Worker;
  try {
    worker = new Worker(`(${_threadMain.toString()})(require, ${envelopeParser.toString()});`, { eval: true });
  } catch {
    return prepareHere();
  }
  worker.unref();
  const here = prepareHere();
  const waiting = new Map<number, { resolve: (parts: PreparedParts[]) => void; reject: (e: unknown) => void }>();
  let next = 1;
  let broken: unknown;
  const failAll = (error: unknown) => {
    broken ??= error;
    for (const job of waiting.values()) job.reject(broken);
    waiting.clear();
  };
  worker.on("message", (reply: { id: number; hashes: string[]; envelopes: string[]; ids: (string | null)[] }) => {
    const job = waiting.get(reply.id);
    if (job === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    job.resolve(
      reply.hashes.map((hash, i) => ({
        contentHash: hash,
        envelopeJson: reply.envelopes[i]!,
        messageId: reply.ids[i] ?? undefined,
      })),
    );
  });
  worker.on("error", failAll);
  worker.on("exit", () => failAll(new Error("The prepare thread ended")));
  return {
    prepare(raws) {
      // a thread that failed has its jobs done here instead: preparing has no side effect
      if (broken !== undefined || raws.length === 0) return here.prepare(raws);
      const id = next++;
      // one buffer moved to the thread instead of many small arrays cloned
      let total = 0;
      for (const raw of raws) total += raw.byteLength;
      const bytes = new Uint8Array(total);
      const ends = new Array<number>(raws.length);
      let offset = 0;
      raws.forEach((raw, i) => {
        bytes.set(raw, offset);
        offset += raw.byteLength;
        ends[i] = offset;
      });
      return new Promise<PreparedParts[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, bytes, ends }, [bytes.buffer]);
      }).catch(() => here.prepare(raws));
    },
    async close() {
      await worker.terminate();
    },
  };
}

/**
 * The thread's program. Self-contained: it is sent as text and runs with `load` = the thread's
 * `require` and `makeParser` = {@link envelopeParser}. The hash is the one of `content-hash.ts`.
 */
function _threadMain(load: (id: string) => unknown, makeParser: typeof envelopeParser): void {
  const { parentPort } = load("node:worker_threads") as {
    parentPort: { on(event: "message", fn: (job: never) => void): void; postMessage(reply: unknown): void };
  };
  const crypto = load("node:crypto") as {
    hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string;
    createHash(algorithm: string): { update(data: Uint8Array): { digest(encoding: "hex"): string } };
  };
  const sha256Hex =
    crypto.hash === undefined
      ? (data: Uint8Array) => crypto.createHash("sha256").update(data).digest("hex")
      : (data: Uint8Array) => crypto.hash!("sha256", data, "hex");
  const parser = makeParser();
  parentPort.on("message", (job: { id: number; bytes: Uint8Array; ends: number[] }) => {
    const hashes: string[] = [];
    const envelopes: string[] = [];
    const ids: (string | null)[] = [];
    let start = 0;
    for (const end of job.ends) {
      const raw = job.bytes.subarray(start, end);
      start = end;
      const envelope = parser.parseEnvelope(raw);
      hashes.push(sha256Hex(raw));
      envelopes.push(JSON.stringify(envelope));
      ids.push(envelope.messageId ?? null);
    }
    parentPort.postMessage({ id: job.id, hashes, envelopes, ids });
  });
}
