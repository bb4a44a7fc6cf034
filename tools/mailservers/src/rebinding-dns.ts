/**
 * A tiny DNS server on loopback (UDP, node:dgram) that plays DNS rebinding: the first A query for
 * each name gets a public address, every later one 127.0.0.1 (TTL 0). AAAA queries get no answer.
 * Tests point mailreg's `registration.dnsServers` at it to show that every connection resolves once,
 * checks what it got and connects to exactly that.
 *
 * @module
 */
import { createSocket } from "node:dgram";

/** A running rebinding DNS server. */
export interface RebindingDns {
  /** `127.0.0.1:PORT`, for `registration.dnsServers`. */
  server: string;
  /** Every A question asked, in order (lower-case names). */
  queries: string[];
  /** Forgets which names were asked: the next question for each gets the public address again. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the server on a free loopback port.
 *
 * @param options `publicAddress` answered first (default 93.184.215.14), `laterAddress` answered
 *   after (default 127.0.0.1)
 * @returns the server
 * @example
 * ```ts ignore
 * const dns = await startRebindingDns();
 * const config = { registration: { dnsServers: [dns.server] } };
 * ```
 */
export async function startRebindingDns(
  options: { publicAddress?: string; laterAddress?: string } = {},
): Promise<RebindingDns> {
  const first = options.publicAddress ?? "93.184.215.14";
  const later = options.laterAddress ?? "127.0.0.1";
  const seen = new Set<string>();
  const queries: string[] = [];
  const socket = createSocket("udp4");
  socket.on("message", (msg, peer) => {
    const question = _question(msg);
    if (question === undefined) return;
    let answer: string | undefined;
    if (question.type === 1) {
      queries.push(question.name);
      answer = seen.has(question.name) ? later : first;
      seen.add(question.name);
    }
    socket.send(_reply(msg, question.end, answer), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    reset: () => seen.clear(),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The first question: its name, type and where it ends. */
function _question(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length) {
    const length = msg[at] ?? 0;
    if (length === 0) break;
    if (length > 63) return undefined; // no compression in questions
    labels.push(msg.subarray(at + 1, at + 1 + length).toString("latin1"));
    at += 1 + length;
  }
  if (at + 5 > msg.length) return undefined;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

/** A response with the question copied and one A record (or none). */
function _reply(query: Buffer, questionEnd: number, address: string | undefined): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // response, RD copied, RA, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(address === undefined ? 0 : 1, 6);
  const question = query.subarray(12, questionEnd);
  if (address === undefined) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // name: pointer to the question's
  record.writeUInt16BE(1, 2); // A
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(0, 6); // TTL 0
  record.writeUInt16BE(4, 10);
  for (const [i, part] of address.split(".").entries()) record.writeUInt8(Number(part), 12 + i);
  return Buffer.concat([header, question, record]);
}
