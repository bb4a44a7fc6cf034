/**
 * A small POP3 client (RFC 1939, STLS from RFC 2595, CAPA from RFC 2449, XOAUTH2) on `node:net` and
 * `node:tls`, with RETR streamed in chunks so a large message never sits in memory whole.
 *
 * Written here because node-pop3 has no STLS and assumes every socket read starts a response.
 *
 * @module
 */
import { isIP, type Socket, connect as tcpConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import type { Security } from "@mailreg/core";
import { DEFAULT_TIMEOUT_MS, type TlsOptions } from "./connect-options.ts";

/** Where and how {@link Pop3Client.connect} connects. */
export interface Pop3ConnectOptions {
  host: string;
  port: number;
  /** Implicit TLS (POP3S), STLS required, or plain. */
  security: Security;
  tls?: TlsOptions;
  /** Budget for connecting and for each answer, in ms. Default 10,000. */
  timeoutMs?: number;
}

/** A `-ERR` answer. `authenticationFailed` is set when it answered a login. */
export interface Pop3Error extends Error {
  code: "POP3_ERR";
  /** The server's text after `-ERR`. */
  responseText: string;
  authenticationFailed?: true;
}

const _CRLF = Buffer.from("\r\n");
const _HIGH_WATER = 1 << 20;
const _CHUNK = 64 * 1024;

/** One POP3 session. Commands run one at a time; await each before the next. */
export class Pop3Client {
  /** What CAPA listed (upper case, first word of each line); empty when CAPA is not supported. */
  capabilities: Set<string> = new Set();
  #socket: Socket | TLSSocket;
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #closed = false;

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  /**
   * Connects, reads the greeting, asks CAPA and upgrades with STLS when `security` is "starttls".
   *
   * @param options host, port, security, certificate policy, timeout
   * @returns the client, in the AUTHORIZATION state
   * @throws the socket's or TLS's error; a {@link Pop3Error} when the server refuses
   */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket =
      options.security === "tls"
        ? await _secure(
            tlsConnect({ host: options.host, port: options.port, ..._tlsOptions(options) }),
            timeout,
          )
        : await _plain(options.host, options.port, timeout);
    const client = new Pop3Client(socket);
    try {
      await client.#status();
      await client.#capa();
      if (options.security === "starttls") {
        if (!client.capabilities.has("STLS")) {
          throw Object.assign(new Error("The server does not offer STLS"), { code: "ERR_TLS_STLS_MISSING" });
        }
        await client.command("STLS");
        client.#detach(client.#socket);
        const upgraded = await _secure(
          tlsConnect({ socket: client.#socket, ..._tlsOptions(options) }),
          timeout,
        );
        client.#socket = upgraded;
        client.#attach(upgraded);
        await client.#capa();
      }
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /**
   * Sends one command and reads its one-line answer.
   *
   * @param line the command without CRLF
   * @returns the text after `+OK`
   * @throws {Pop3Error} on `-ERR`
   */
  async command(line: string): Promise<string> {
    this.#write(line);
    return await this.#status();
  }

  /**
   * Logs in with USER/PASS.
   *
   * @param user the login name
   * @param password the password (never part of an error)
   * @throws {Pop3Error} with `authenticationFailed` when refused
   */
  async login(user: string, password: string): Promise<void> {
    await this.#auth(async () => {
      await this.command(`USER ${_safeArg(user)}`);
      await this.command(`PASS ${_safeArg(password)}`);
    });
  }

  /**
   * Logs in with SASL XOAUTH2 and an OAuth 2.0 access token.
   *
   * @param user the login name
   * @param accessToken the bearer token (never part of an error)
   * @throws {Pop3Error} with `authenticationFailed` when refused
   */
  async loginOAuth2(user: string, accessToken: string): Promise<void> {
    const initial = btoa(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`);
    await this.#auth(async () => {
      this.#write(`AUTH XOAUTH2 ${initial}`);
      const line = await this.#line();
      // a "+ <base64 error>" continuation: send an empty line, the server then answers -ERR
      if (line.startsWith("+ ") || line === "+") {
        this.#write("");
        _check(await this.#line());
      } else {
        _check(line);
      }
    });
  }

  /**
   * The maildrop's message numbers and their unique ids (UIDL).
   *
   * @returns message number → UIDL, in message-number order
   */
  async uidl(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const line of await this.#multiLine("UIDL")) {
      const [n, id] = line.split(" ", 2);
      if (n !== undefined && id !== undefined) out.set(Number(n), id);
    }
    return out;
  }

  /**
   * The maildrop's message numbers and sizes (LIST).
   *
   * @returns message number → size in octets
   */
  async list(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const line of await this.#multiLine("LIST")) {
      const [n, size] = line.split(" ", 2);
      if (n !== undefined && size !== undefined) out.set(Number(n), Number(size));
    }
    return out;
  }

  /**
   * Retrieves a message as a stream of chunks (dot-unstuffed, CRLF line ends, at most ~64 KiB each).
   * Read it to the end before the next command.
   *
   * @param n the message number
   * @returns the message's bytes, chunk by chunk
   */
  async *retr(n: number): AsyncGenerator<Uint8Array, void, undefined> {
    await this.command(`RETR ${n}`);
    let out: Buffer[] = [];
    let outLength = 0;
    for (;;) {
      const end = this.#buf.indexOf(_CRLF);
      if (end < 0) {
        if (outLength > 0) {
          yield Buffer.concat(out, outLength);
          out = [];
          outLength = 0;
        }
        await this.#more();
        continue;
      }
      const dot = this.#buf[0] === 0x2e;
      if (dot && end === 1) {
        this.#consume(3);
        break;
      }
      const line = this.#buf.subarray(dot ? 1 : 0, end + 2);
      out.push(line);
      outLength += line.length;
      this.#consume(end + 2);
      if (outLength >= _CHUNK) {
        yield Buffer.concat(out, outLength);
        out = [];
        outLength = 0;
      }
    }
    if (outLength > 0) yield Buffer.concat(out, outLength);
  }

  /**
   * Marks a message for deletion; the server removes it at QUIT.
   *
   * @param n the message number
   */
  async dele(n: number): Promise<void> {
    await this.command(`DELE ${n}`);
  }

  /** Ends the session (committing DELEs) and closes the connection. */
  async quit(): Promise<void> {
    try {
      await this.command("QUIT");
    } finally {
      this.close();
    }
  }

  /** Closes the connection without QUIT: marked messages stay on the server. */
  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  async #auth(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (
        (error as Partial<Pop3Error>).code === "POP3_ERR" &&
        !/\[(SYS|IN-USE)/i.test(String((error as Pop3Error).responseText))
      ) {
        (error as Pop3Error).authenticationFailed = true;
      }
      throw error;
    }
  }

  async #capa(): Promise<void> {
    try {
      const lines = await this.#multiLine("CAPA");
      this.capabilities = new Set(lines.map((l) => (l.split(" ", 1)[0] ?? "").toUpperCase()));
    } catch (error) {
      if ((error as Partial<Pop3Error>).code !== "POP3_ERR") throw error;
      this.capabilities = new Set();
    }
  }

  async #multiLine(command: string): Promise<string[]> {
    await this.command(command);
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      if (line === ".") return lines;
      lines.push(line.startsWith("..") ? line.slice(1) : line);
    }
  }

  async #status(): Promise<string> {
    return _check(await this.#line());
  }

  async #line(): Promise<string> {
    for (;;) {
      const end = this.#buf.indexOf(_CRLF);
      if (end >= 0) {
        const line = this.#buf.subarray(0, end).toString("utf8");
        this.#consume(end + 2);
        return line;
      }
      await this.#more();
    }
  }

  #write(line: string): void {
    if (this.#error !== undefined) throw this.#error;
    this.#socket.write(`${line}\r\n`);
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
    if (this.#buf.length < _HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
  }

  #more(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed) {
      return Promise.reject(
        Object.assign(new Error("The POP3 connection closed"), { code: "EConnectionClosed" }),
      );
    }
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #onData = (data: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    if (this.#buf.length >= _HIGH_WATER) this.#socket.pause();
    this.#notify();
  };

  #onError = (error: Error): void => {
    this.#error ??= error;
    this.#notify();
  };

  #onClose = (): void => {
    this.#closed = true;
    this.#notify();
  };

  #attach(socket: Socket | TLSSocket): void {
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  #detach(socket: Socket | TLSSocket): void {
    socket.off("data", this.#onData);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
  }
}

/** The `+OK` text of a status line; throws a {@link Pop3Error} on anything else. */
function _check(line: string): string {
  if (line.startsWith("+OK")) return line.slice(3).trimStart();
  const text = line.startsWith("-ERR") ? line.slice(4).trimStart() : line;
  const error = new Error(`The POP3 server answered: ${text.slice(0, 200)}`) as Pop3Error;
  error.code = "POP3_ERR";
  error.responseText = text;
  throw error;
}

function _safeArg(value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError("POP3 arguments must not contain line breaks");
  return value;
}

function _tlsOptions(options: Pop3ConnectOptions): {
  servername?: string;
  ca?: string | string[];
  rejectUnauthorized: boolean;
} {
  const tls = options.tls ?? {};
  const servername = tls.servername ?? (isIP(options.host) === 0 ? options.host : undefined);
  return {
    ...(servername === undefined ? {} : { servername }),
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  };
}

/** A connected TCP socket, with the timeout applied to every later wait too. */
function _plain(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return _settle(tcpConnect({ host, port }), "connect", timeoutMs);
}

/** A TLS socket once its handshake succeeded. */
function _secure(socket: TLSSocket, timeoutMs: number): Promise<TLSSocket> {
  return _settle(socket, "secureConnect", timeoutMs);
}

function _settle<T extends Socket>(socket: T, event: string, timeoutMs: number): Promise<T> {
  socket.setTimeout(timeoutMs, () => {
    socket.destroy(Object.assign(new Error(`No answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once("error", onError);
    socket.once(event, () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}
