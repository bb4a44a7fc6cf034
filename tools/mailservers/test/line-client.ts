/**
 * A minimal line-protocol client (IMAP, POP3) over TCP or TLS for tests that must speak the raw
 * protocol: POP3 STAT, IMAP AUTHENTICATE XOAUTH2 (imapflow prefers OAUTHBEARER when offered).
 *
 * @module
 */
import { type Socket, connect as tcpConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/** TLS settings: the CA to trust and the name to verify. */
export interface TrustOptions {
  ca: string;
  servername: string;
}

/** A connection that reads CRLF-terminated lines. */
export class LineClient {
  #socket: Socket | TLSSocket;
  #buffer = "";
  #lines: string[] = [];
  #waiting: ((line: string | undefined) => void) | undefined;
  #closed = false;

  /**
   * @param socket a connected socket
   */
  constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach();
  }

  /**
   * Opens a connection.
   * @param host address
   * @param port port
   * @param tls implicit TLS with this trust, or plain TCP when absent
   * @returns the client, before the greeting has been read
   */
  static async open(host: string, port: number, tls?: TrustOptions): Promise<LineClient> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s =
        tls === undefined
          ? tcpConnect({ host, port }, () => resolve(s))
          : tlsConnect({ host, port, ca: tls.ca, servername: tls.servername }, () => resolve(s));
      s.once("error", reject);
    });
    return new LineClient(socket);
  }

  /** Whether the connection is TLS with a verified certificate. */
  get authorized(): boolean {
    return "authorized" in this.#socket && this.#socket.authorized;
  }

  /**
   * Upgrades to TLS (after STARTTLS or STLS was answered).
   * @param tls the trust
   */
  async upgrade(tls: TrustOptions): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners("data");
    this.#socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, ca: tls.ca, servername: tls.servername }, () => resolve(s));
      s.once("error", reject);
    });
    this.#attach();
  }

  /** Sends one line (CRLF appended). */
  send(line: string): void {
    this.#socket.write(`${line}\r\n`);
  }

  /** The next line, or undefined when the connection closed. */
  readLine(): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined || this.#closed) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /**
   * Reads lines up to and including the first that matches.
   * @param last the final line's pattern (e.g. /^a1 /)
   * @returns all lines read
   */
  async readUntil(last: RegExp): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === undefined) throw new Error(`connection closed before ${last}; got ${lines.join(" | ")}`);
      lines.push(line);
      if (last.test(line)) return lines;
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #attach(): void {
    this.#socket.setEncoding("utf8");
    this.#socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      for (let at = this.#buffer.indexOf("\r\n"); at >= 0; at = this.#buffer.indexOf("\r\n")) {
        this.#push(this.#buffer.slice(0, at));
        this.#buffer = this.#buffer.slice(at + 2);
      }
    });
    this.#socket.once("close", () => {
      this.#closed = true;
      this.#waiting?.(undefined);
      this.#waiting = undefined;
    });
  }

  #push(line: string): void {
    const waiting = this.#waiting;
    if (waiting === undefined) {
      this.#lines.push(line);
      return;
    }
    this.#waiting = undefined;
    waiting(line);
  }
}
