/**
 * The bulk path of the IMAP source: a second connection of its own that reads a large backlog with
 * one `UID FETCH n:* (UID FLAGS INTERNALDATE BODY.PEEK[])` and a parser that does nothing but find
 * the literals. imapflow parses every response into a tree of attribute objects (≈ 25 µs of CPU per
 * message on this machine); this reads a message's source into one byte array straight from the
 * socket's buffers (≈ 7 µs), so on a two-core machine the server, not the client, sets the pace and
 * the CPU goes to storing instead.
 *
 * It logs in by itself (implicit TLS, STARTTLS or plain as the profile says; AUTHENTICATE PLAIN or
 * LOGIN, XOAUTH2 for OAuth profiles) and EXAMINEs the folder read-only. Whatever it cannot do the
 * simple way — a folder name outside plain ASCII, a server without a login it knows, any failure
 * before the first message — it answers `undefined` for, and the source falls back to imapflow.
 * Limits as on the imapflow connection: {@link IMAP_MAX_LINE_BYTES}, {@link IMAP_MAX_LITERAL_BYTES},
 * six times `timeoutMs` of silence.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import * as net from "node:net";
import * as tls from "node:tls";
import type { ConnectionProfile } from "@mailreg/core";
import { type ConnectOptions, DEFAULT_TIMEOUT_MS } from "./connect-options.ts";
import { IMAP_MAX_LINE_BYTES, IMAP_MAX_LITERAL_BYTES } from "./imap-connect.ts";

/** One message as the bulk FETCH returned it. */
export interface BulkMessage {
  uid: number;
  flags: string[];
  internalDate?: Date;
  source: Uint8Array;
}

/** A logged-in bulk connection. */
export interface BulkConnection {
  /**
   * EXAMINEs `folder` and fetches every message from `fromUid` on, in the server's order. Returns
   * undefined (nothing fetched, the connection still usable) when the folder's UIDVALIDITY is not
   * `uidValidity` or its name needs encoding.
   */
  fetch(
    folder: string,
    uidValidity: number,
    fromUid: number,
  ): Promise<AsyncIterable<BulkMessage> | undefined>;
  close(): Promise<void>;
}

/** Thrown for a protocol or I/O failure on the bulk connection. */
class _BulkError extends Error {
  code: string;
  constructor(message: string, code = "EPROTOCOL") {
    super(message);
    this.code = code;
  }
}

/**
 * Opens and logs in a bulk connection, or answers undefined when it cannot do so the simple way
 * (the caller then uses imapflow).
 *
 * @param profile the opened connection profile
 * @param options timeouts, certificate policy, access token
 * @returns the connection, or undefined
 */
export async function openBulkConnection(
  profile: ConnectionProfile,
  options: ConnectOptions,
): Promise<BulkConnection | undefined> {
  const timeoutMs = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 6;
  let conn: _Conn | undefined;
  try {
    conn = await _connect(profile, options, timeoutMs);
    await _login(conn, profile, options.accessToken);
    return _bulk(conn);
  } catch {
    conn?.destroy();
    return undefined;
  }
}

function _bulk(conn: _Conn): BulkConnection {
  return {
    async fetch(folder, uidValidity, fromUid) {
      if (!/^[\x20-\x7e]+$/.test(folder) || folder.includes("&")) return undefined;
      let examined: { untagged: string[] };
      try {
        examined = await conn.command(`EXAMINE ${_quote(folder)}`);
      } catch {
        return undefined; // e.g. the connection broke in an earlier folder: imapflow takes over
      }
      const found = examined.untagged
        .map((l) => /\[UIDVALIDITY (\d+)\]/i.exec(l)?.[1])
        .find((v) => v !== undefined);
      if (found === undefined || Number(found) !== uidValidity) return undefined;
      return _fetch(conn, fromUid);
    },
    async close() {
      // the timer is cleared: left running, it would hold a finished process open for 2 s
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([conn.command("LOGOUT"), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
      } catch {
        // closing anyway
      } finally {
        clearTimeout(timer);
        conn.destroy();
      }
    },
  };
}

async function* _fetch(conn: _Conn, fromUid: number): AsyncGenerator<BulkMessage, void, undefined> {
  const tag = conn.send(`UID FETCH ${fromUid}:* (UID FLAGS INTERNALDATE BODY.PEEK[])`);
  for (;;) {
    const line = await conn.reader.line();
    if (line.startsWith(`${tag} `)) {
      if (!/^\S+ OK/i.test(line)) throw new _BulkError(`FETCH failed: ${line.slice(0, 200)}`);
      return;
    }
    const head = /^\* \d+ FETCH \(/i.exec(line);
    if (head === null) {
      if (line.endsWith("}")) await _skipLiterals(conn, line);
      continue;
    }
    const message = await _parseFetch(conn, line, head[0].length);
    if (message !== undefined) yield message;
  }
}

/** Reads the item list of one `* n FETCH (…)` response, literals included. */
async function _parseFetch(conn: _Conn, first: string, start: number): Promise<BulkMessage | undefined> {
  let line = first;
  let i = start;
  let uid: number | undefined;
  let flags: string[] = [];
  let internalDate: Date | undefined;
  let source: Uint8Array | undefined;
  for (;;) {
    while (line.charCodeAt(i) === 32) i++;
    if (i >= line.length) throw new _BulkError("FETCH response ends early");
    if (line[i] === ")") break;
    let end = i;
    // an item name: letters, digits, '.', and a section in brackets (BODY[], BODY[HEADER] …)
    while (end < line.length && line[end] !== " " && line[end] !== "(" && line[end] !== "{") {
      if (line[end] === "[") end = line.indexOf("]", end);
      if (end < 0) throw new _BulkError("unclosed section");
      end++;
    }
    const name = line.slice(i, end).toUpperCase();
    i = end;
    while (line.charCodeAt(i) === 32) i++;
    if (name === "UID") {
      const m = /^\d+/.exec(line.slice(i, i + 12));
      if (m === null) throw new _BulkError("UID without a number");
      uid = Number(m[0]);
      i += m[0].length;
    } else if (name === "FLAGS") {
      const close = line.indexOf(")", i);
      if (line[i] !== "(" || close < 0) throw new _BulkError("FLAGS without a list");
      flags = line
        .slice(i + 1, close)
        .split(" ")
        .filter((f) => f !== "" && f.toLowerCase() !== "\\recent");
      i = close + 1;
    } else if (name === "INTERNALDATE") {
      const close = line.indexOf('"', i + 1);
      if (line[i] !== '"' || close < 0) throw new _BulkError("INTERNALDATE without a date");
      internalDate = _internalDate(line.slice(i + 1, close));
      i = close + 1;
    } else if (name.startsWith("BODY[") || name === "RFC822") {
      if (line[i] === "{") {
        const m = /^\{(\d+)\}$/.exec(line.slice(i));
        if (m === null) throw new _BulkError("a literal must end its line");
        const size = Number(m[1]);
        if (size > IMAP_MAX_LITERAL_BYTES) throw new _BulkError(`literal of ${size} bytes is too large`);
        source = await conn.reader.bytes(size);
        line = await conn.reader.line();
        i = 0;
      } else if (line.startsWith("NIL", i)) {
        i += 3;
      } else {
        throw new _BulkError("BODY[] neither literal nor NIL");
      }
    } else {
      // anything else (MODSEQ (…), RFC822.SIZE n …): skip one value
      i = await _skipValue(conn, line, i, (l, j) => {
        line = l;
        return j;
      });
    }
  }
  return uid === undefined || source === undefined
    ? undefined
    : { uid, flags, ...(internalDate === undefined ? {} : { internalDate }), source };
}

/** Skips one value (atom, number, quoted string, parenthesized list without literals, literal). */
async function _skipValue(
  conn: _Conn,
  line: string,
  i: number,
  setLine: (line: string, i: number) => number,
): Promise<number> {
  const c = line[i];
  if (c === "(") {
    let depth = 0;
    for (let j = i; j < line.length; j++) {
      if (line[j] === "(") depth++;
      else if (line[j] === ")" && --depth === 0) return j + 1;
      else if (line[j] === '"') j = line.indexOf('"', j + 1);
    }
    throw new _BulkError("unclosed list");
  }
  if (c === '"') return line.indexOf('"', i + 1) + 1;
  if (c === "{") {
    const m = /^\{(\d+)\}$/.exec(line.slice(i));
    if (m === null) throw new _BulkError("a literal must end its line");
    await conn.reader.skip(Number(m[1]));
    return setLine(await conn.reader.line(), 0);
  }
  let j = i;
  while (j < line.length && line[j] !== " " && line[j] !== ")") j++;
  return j;
}

/** Skips the literals of an untagged response this parser does not read. */
async function _skipLiterals(conn: _Conn, line: string): Promise<void> {
  let current = line;
  for (;;) {
    const m = /\{(\d+)\}$/.exec(current);
    if (m === null) return;
    await conn.reader.skip(Number(m[1]));
    current = await conn.reader.line();
  }
}

const _MONTHS: Readonly<Record<string, string>> = {
  jan: "01",
  feb: "02",
  mar: "03",
  apr: "04",
  may: "05",
  jun: "06",
  jul: "07",
  aug: "08",
  sep: "09",
  oct: "10",
  nov: "11",
  dec: "12",
};

/** `17-Jul-1996 02:44:25 -0700` → Date (undefined when it is not one). */
function _internalDate(text: string): Date | undefined {
  const m = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const month = m === null ? undefined : _MONTHS[m[2]!.toLowerCase()];
  if (m === null || month === undefined) return undefined;
  const date = new Date(
    `${m[3]}-${month}-${m[1]!.padStart(2, "0")}T${m[4]}:${m[5]}:${m[6]}${m[7]}${m[8]}:${m[9]}`,
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function _quote(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A connection: the socket, its reader, and tagged commands. */
interface _Conn {
  reader: _Reader;
  /** Sends a command, returns its tag. */
  send(command: string): string;
  /** Sends a command and reads to its tagged OK (throws on NO/BAD). */
  command(command: string): Promise<{ untagged: string[]; done: string }>;
  /** The capabilities last seen. */
  caps: Set<string>;
  upgrade(make: (socket: net.Socket) => tls.TLSSocket): Promise<void>;
  destroy(): void;
}

async function _connect(
  profile: ConnectionProfile,
  options: ConnectOptions,
  timeoutMs: number,
): Promise<_Conn> {
  const tlsOptions = {
    ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
    servername: options.tls?.servername ?? profile.host,
    rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
  };
  let socket: net.Socket =
    profile.security === "tls"
      ? tls.connect({ host: profile.host, port: profile.port, ...tlsOptions })
      : net.connect({ host: profile.host, port: profile.port });
  socket.setNoDelay(true);
  let reader = new _Reader(socket, timeoutMs);
  let seq = 0;
  const conn: _Conn = {
    get reader() {
      return reader;
    },
    caps: new Set(),
    send(command) {
      const tag = `M${++seq}`;
      socket.write(`${tag} ${command}\r\n`);
      return tag;
    },
    async command(command) {
      const tag = conn.send(command);
      const untagged: string[] = [];
      for (;;) {
        const line = await reader.line();
        if (line.startsWith(`${tag} `)) {
          if (!/^\S+ OK/i.test(line)) throw new _BulkError(`${command.split(" ")[0]} refused`);
          _caps(conn, line);
          return { untagged, done: line };
        }
        if (line.endsWith("}")) await _skipLiterals(conn, line);
        _caps(conn, line);
        untagged.push(line);
      }
    },
    async upgrade(make) {
      reader.detach();
      socket = make(socket);
      socket.setNoDelay(true);
      reader = new _Reader(socket, timeoutMs);
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
    },
    destroy() {
      reader.detach();
      socket.destroy();
    },
  };
  const greeting = await reader.line();
  if (!/^\* (OK|PREAUTH)/i.test(greeting)) throw new _BulkError("no greeting");
  _caps(conn, greeting);
  if (profile.security === "starttls") {
    await conn.command("STARTTLS");
    await conn.upgrade((plain) => tls.connect({ socket: plain, ...tlsOptions }));
    conn.caps.clear();
  }
  if (conn.caps.size === 0 || !conn.caps.has("IMAP4REV1")) await conn.command("CAPABILITY");
  return conn;
}

function _caps(conn: _Conn, line: string): void {
  const m = /^(?:\* CAPABILITY |\S+ OK \[CAPABILITY |\* (?:OK|PREAUTH) \[CAPABILITY )([^\]\r\n]*)/i.exec(
    line,
  );
  if (m === null) return;
  conn.caps = new Set(m[1]!.toUpperCase().split(" "));
}

async function _login(
  conn: _Conn,
  profile: ConnectionProfile,
  accessToken: string | undefined,
): Promise<void> {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const saslIr = conn.caps.has("SASL-IR");
  const authenticate = async (mechanism: string, response: string) => {
    if (saslIr) {
      await conn.command(`AUTHENTICATE ${mechanism} ${response}`);
      return;
    }
    const tag = conn.send(`AUTHENTICATE ${mechanism}`);
    const go = await conn.reader.line();
    if (!go.startsWith("+")) throw new _BulkError("no continuation");
    conn.reader.socketWrite(`${response}\r\n`);
    for (;;) {
      const line = await conn.reader.line();
      if (line.startsWith(`${tag} `)) {
        if (!/^\S+ OK/i.test(line)) throw new _BulkError("login refused");
        _caps(conn, line);
        return;
      }
    }
  };
  if (profile.auth.method === "oauth2") {
    if (accessToken === undefined || !conn.caps.has("AUTH=XOAUTH2")) throw new _BulkError("no XOAUTH2");
    await authenticate("XOAUTH2", b64(`user=${profile.login}\x01auth=Bearer ${accessToken}\x01\x01`));
  } else if (conn.caps.has("AUTH=PLAIN")) {
    await authenticate("PLAIN", b64(`\0${profile.login}\0${profile.auth.password}`));
  } else if (
    !conn.caps.has("LOGINDISABLED") &&
    /^[\x20-\x7e]*$/.test(profile.login + profile.auth.password)
  ) {
    await conn.command(`LOGIN ${_quote(profile.login)} ${_quote(profile.auth.password)}`);
  } else {
    throw new _BulkError("no login method");
  }
}

/**
 * Lines and literals from a socket, with bounded buffering (the socket is paused while more than
 * 8 MiB wait) and a silence timeout.
 */
class _Reader {
  #socket: net.Socket;
  #chunks: Buffer[] = [];
  #offset = 0;
  #buffered = 0;
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #onData = (chunk: Buffer) => {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered > 8 * 1024 * 1024) this.#socket.pause();
    this.#notify();
  };
  #onEnd = () => this.#fail(new _BulkError("connection closed", "ECONNRESET"));
  #onError = (error: Error) => this.#fail(error);
  #onTimeout = () => {
    this.#fail(new _BulkError("no answer in time", "ETIMEOUT"));
    this.#socket.destroy();
  };

  constructor(socket: net.Socket, timeoutMs: number) {
    this.#socket = socket;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
    socket.setTimeout(timeoutMs, this.#onTimeout);
  }

  socketWrite(text: string): void {
    this.#socket.write(text);
  }

  detach(): void {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onEnd);
    this.#socket.off("error", this.#onError);
    this.#socket.setTimeout(0);
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for more data (called only when what is buffered is not enough). */
  async #more(): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#socket.isPaused()) this.#socket.resume();
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  #consume(n: number): void {
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      const left = first.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        return;
      }
      n -= left;
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /** The next line, without CRLF (latin1: only ever read for its ASCII parts). */
  async line(): Promise<string> {
    for (;;) {
      let seen = 0;
      for (let c = 0; c < this.#chunks.length; c++) {
        const chunk = this.#chunks[c]!;
        const from = c === 0 ? this.#offset : 0;
        const at = chunk.indexOf(10, from);
        if (at < 0) {
          seen += chunk.length - from;
          continue;
        }
        const length = seen + (at - from) + 1;
        const bytes = c === 0 ? chunk.subarray(from, at + 1) : this.#copy(length);
        const text = bytes.toString("latin1");
        this.#consume(length);
        return text.endsWith("\r\n") ? text.slice(0, -2) : text.slice(0, -1);
      }
      if (seen > IMAP_MAX_LINE_BYTES) throw new _BulkError("response line too long");
      await this.#more();
    }
  }

  /** Exactly `n` bytes, copied into an array of their own. */
  async bytes(n: number): Promise<Uint8Array> {
    while (this.#buffered < n) await this.#more();
    const out = this.#copy(n);
    this.#consume(n);
    return out;
  }

  /** Drops `n` bytes. */
  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.#buffered === 0) await this.#more();
      const take = Math.min(n, this.#buffered);
      this.#consume(take);
      n -= take;
    }
  }

  /** The next `n` buffered bytes as a new Buffer (not consumed). */
  #copy(n: number): Buffer {
    const out = Buffer.allocUnsafeSlow(n);
    let filled = 0;
    for (let c = 0; filled < n; c++) {
      const chunk = this.#chunks[c]!;
      const from = c === 0 ? this.#offset : 0;
      const take = Math.min(n - filled, chunk.length - from);
      chunk.copy(out, filled, from, from + take);
      filled += take;
    }
    return out;
  }
}
