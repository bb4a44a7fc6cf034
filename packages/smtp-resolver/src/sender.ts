/**
 * Sending through nodemailer with one pooled transport per resolved server and login, reused across
 * messages (smtp-server and most real servers make every new connection cost a greeting delay).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { connectTarget, MailregError, type NetworkPolicy } from "@mailreg/core";
import nodemailer, { type Transporter } from "nodemailer";
import { _dnsResolve } from "./_dns.ts";
import { credentialSecret, type SmtpCredentials } from "./credentials.ts";
import type { Envelope } from "./message.ts";
import { toSmtpError } from "./smtp-error.ts";
import { type TransportExtras, type TransportSettings, transportOptions } from "./transport-options.ts";

/** Where and how to send: a server and its login (from `resolve` and `credentialsFor`). */
export interface SendTarget {
  settings: TransportSettings & { from?: string | undefined };
  credentials: SmtpCredentials;
}

/** A message to send: raw bytes and envelope (as `prepareMessage` makes them). */
export interface OutgoingMessage {
  raw: Uint8Array | string;
  envelope: Envelope;
}

/** What the server said. */
export interface SendResult {
  /** The server's final answer, e.g. `250 2.0.0 Ok: queued as 4Xyz`. */
  response: string;
  accepted: string[];
  /** Recipients the server refused while accepting the others, with its answer for each. */
  rejected: { address: string; response: string }[];
}

/** Options of {@link Sender}. */
export interface SenderOptions extends TransportExtras {
  /** Connections per server and login. Default 1. */
  maxConnections?: number;
  /** Messages per connection before it is replaced. Default 1000. */
  maxMessages?: number;
  /** Idle time after which a pooled connection is closed, in ms. Default 60,000. */
  idleTimeoutMs?: number;
  /**
   * The network policy (`networkPolicy(config)` of `@mailreg/core`): a server the administrator did
   * not configure is resolved once, every address checked, and the connection pinned to the checked
   * address (the certificate is still checked against the name).
   */
  policy?: NetworkPolicy;
}

interface _Pool {
  transport: Transporter;
  secret: string | undefined;
}

/**
 * Sends messages, keeping one pooled nodemailer transport per server and login until `close()`.
 *
 * @example
 * ```ts ignore
 * import { Sender } from "@mailreg/smtp-resolver";
 * const sender = new Sender();
 * const result = await sender.send(
 *   { settings: { host: "smtp.example.com", port: 587, tls: { verify: true } }, credentials: { method: "none" } },
 *   { raw: "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n", envelope: { from: "a@example.com", to: ["b@example.com"] } },
 * );
 * console.log(result.response);
 * sender.close();
 * ```
 */
export class Sender {
  readonly #options: SenderOptions;
  readonly #pools = new Map<string, _Pool>();
  /** Pools being opened (the policy check is async): sends started together wait for the same one. */
  readonly #opening = new Map<string, Promise<_Pool>>();
  #closed = false;

  /** @param options trusted CAs, timeouts, pool size */
  constructor(options: SenderOptions = {}) {
    this.#options = options;
  }

  /**
   * Sends one message through the target's pooled transport (opened on first use).
   *
   * @param target server and login
   * @param message raw bytes and envelope; the target's `from` replaces the envelope sender
   * @returns the server's answer
   * @throws {MailregError} MAIL_AUTH_FAILED, MAIL_TLS_FAILED, MAIL_CONNECTION_FAILED, SMTP_TEMPORARY,
   *   SMTP_PERMANENT (with `details.response`) or MAIL_PROTOCOL; MAIL_HOST_NOT_ALLOWED when the network
   *   policy refuses the server; INTERNAL after `close()`
   */
  async send(target: SendTarget, message: OutgoingMessage): Promise<SendResult> {
    const pool = await this.#pool(target);
    const { settings } = target;
    const envelope = { from: settings.from ?? message.envelope.from, to: message.envelope.to };
    const raw =
      typeof message.raw === "string"
        ? message.raw
        : Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength);
    try {
      const info = await pool.transport.sendMail({ envelope, raw });
      const errors =
        (info as { rejectedErrors?: { recipient?: string; response?: string }[] }).rejectedErrors ?? [];
      return {
        response: String(info.response ?? ""),
        accepted: (info.accepted as unknown[]).map(String),
        rejected: errors.map((e) => ({ address: e.recipient ?? "", response: e.response ?? "" })),
      };
    } catch (error) {
      const user = "user" in target.credentials ? target.credentials.user : undefined;
      throw toSmtpError(error, { host: settings.host, port: settings.port, user }, pool.secret);
    }
  }

  /** Closes every pooled connection; later sends fail. */
  close(): void {
    this.#closed = true;
    for (const pool of this.#pools.values()) pool.transport.close();
    this.#pools.clear();
  }

  /** How many pooled transports are open (one per server and login). */
  get poolCount(): number {
    return this.#pools.size;
  }

  async #pool(target: SendTarget): Promise<_Pool> {
    if (this.#closed) throw new MailregError("INTERNAL", "The sender was closed");
    const key = await _poolKey(target);
    const open = this.#pools.get(key);
    if (open !== undefined) return open;
    let opening = this.#opening.get(key);
    if (opening === undefined) {
      opening = this.#open(key, target).finally(() => this.#opening.delete(key));
      this.#opening.set(key, opening);
    }
    return await opening;
  }

  async #open(key: string, target: SendTarget): Promise<_Pool> {
    const o = this.#options;
    const { host, port } = target.settings;
    const checked = await connectTarget(o.policy, host, port, _dnsResolve(o.policy?.dnsServers ?? []));
    const options = transportOptions(target.settings, target.credentials, o);
    options.host = checked.address;
    if (checked.servername !== undefined && options.servername === undefined) {
      options.servername = checked.servername;
    }
    const transport = nodemailer.createTransport({
      ...options,
      pool: true,
      maxConnections: o.maxConnections ?? 1,
      maxMessages: o.maxMessages ?? 1000,
      idleTimeout: o.idleTimeoutMs ?? 60_000,
    });
    // token errors are also reported to the send that needed the token
    transport.on("error", () => {});
    if (this.#closed) {
      transport.close();
      throw new MailregError("INTERNAL", "The sender was closed");
    }
    const pool = { transport, secret: credentialSecret(target.credentials) };
    this.#pools.set(key, pool);
    return pool;
  }
}

/** The pool key: everything that changes the connection; the password only as a hash. */
async function _poolKey(target: SendTarget): Promise<string> {
  const { host, port, security, tls } = target.settings;
  const c = target.credentials;
  const secret = credentialSecret(c);
  const digest =
    secret === undefined
      ? ""
      : Array.from(
          new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))),
          (b) => b.toString(16).padStart(2, "0"),
        ).join("");
  return JSON.stringify([
    host,
    port,
    security ?? null,
    tls.verify,
    tls.servername ?? null,
    c.method,
    "user" in c ? c.user : null,
    digest,
  ]);
}
