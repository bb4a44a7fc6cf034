/**
 * Reading a message source to its end, and its content hash.
 *
 * The hash uses `node:crypto` (Deno has it too) rather than `crypto.subtle`: measured on 10,000
 * messages of ~4 KiB, `subtle.digest` takes ≈ 780 ms one by one (each call a trip to the thread
 * pool), `createHash` ≈ 60 ms, the one-shot `hash` (Node 20.12+, Deno 2) a fifth less again — and
 * hashing is on every message's path.
 *
 * @module
 */
import * as nodeCrypto from "node:crypto";

/** The one-shot `hash()` where the runtime has it (Node 20.12+, Deno 2: no Hash object per message). */
const _hash = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string })
  .hash;

/**
 * The hex SHA-256 of a message: the content hash sinks and the store key duplicates by.
 *
 * @param raw the raw message
 * @returns 64 lower-case hex digits
 * @example
 * ```ts
 * import { contentHash } from "@mailreg/imap-sync";
 * console.log(contentHash(new TextEncoder().encode("abc"))); // ba7816bf…
 * ```
 */
export function contentHash(raw: Uint8Array): string {
  return _hash === undefined
    ? nodeCrypto.createHash("sha256").update(raw).digest("hex")
    : _hash("sha256", raw, "hex");
}

/**
 * Reads chunks into one byte array.
 *
 * @param chunks the source, chunk by chunk
 * @returns the bytes
 */
export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
