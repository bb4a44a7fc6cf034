/**
 * An SMTP sink: a real SMTP server (the `smtp-server` package) on a free loopback port that keeps
 * every message it accepts, optionally asks for AUTH (PLAIN, LOGIN, CRAM-MD5 for its users; XOAUTH2
 * with a token verifier), offers STARTTLS or implicit TLS with a test certificate, and answers chosen
 * commands with chosen errors.
 *
 * @module
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MailregError } from "@mailreg/core";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";
import type { TestCertificate } from "./cert.ts";
import type { MailUser } from "./passwd-file.ts";
import type { AccessTokenVerifier } from "./xoauth2-verifier.ts";

/** One accepted message. Plain data (also what the spool files hold). */
export interface SinkMessage {
  /** 1, 2, 3 … in order of arrival. */
  id: number;
  /** The envelope sender (`MAIL FROM`); "" for the null sender. */
  mailFrom: string;
  /** The accepted envelope recipients (`RCPT TO`). */
  rcptTo: string[];
  /** The user that logged in, if any. */
  user: string | undefined;
  /** Whether the session was TLS-protected (STARTTLS or implicit TLS). */
  secure: boolean;
  /** The message as received (UTF-8 decoded, CRLF line ends). */
  raw: string;
  /** ISO time of arrival. */
  receivedAt: string;
}

/** An SMTP reply to send instead of accepting, e.g. `{ code: 550, message: "5.1.1 No such user" }`. */
export interface SinkReply {
  /** 4xx (temporary) or 5xx (permanent). */
  code: number;
  message: string;
}

/** What the sink is about to accept. */
export interface SinkEvent {
  stage: "mail" | "rcpt" | "data";
  /** The address of MAIL FROM or RCPT TO; for "data" the first recipient. */
  address: string;
  mailFrom: string;
  /** Recipients accepted so far in this transaction. */
  rcptTo: string[];
  user: string | undefined;
}

/** Decides whether to refuse a command; `undefined` accepts it. */
export type SinkRule = (event: SinkEvent) => SinkReply | undefined;

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions {
  /** Users that may log in (AUTH PLAIN, LOGIN, CRAM-MD5). Without users, AUTH is not offered. */
  users?: readonly MailUser[];
  /**
   * Offer AUTH XOAUTH2 and accept a bearer token when this says it is valid for the user
   * (`jwksTokenVerifier` checks it against an OAuth provider's keys).
   */
  verifyAccessToken?: AccessTokenVerifier;
  /** With users or a token verifier: accept mail without login too. Default false (login required). */
  authOptional?: boolean;
  /** Serve TLS with this certificate: STARTTLS on the port, or implicit TLS with `secure`. */
  certificate?: TestCertificate;
  /** Implicit TLS (like port 465); needs `certificate`. */
  secure?: boolean;
  /** Allow AUTH before STARTTLS. Default: only when there is no certificate. */
  allowInsecureAuth?: boolean;
  /** Refuse chosen commands (see {@link rejectByLocalPart}). Replaceable later with `failWith()`. */
  failWith?: SinkRule;
  /** Also write each message as `<id>.json` here, so other processes (test workers) can read them. */
  spoolDir?: string;
}

/** A running SMTP sink. */
export interface SmtpSinkHandle {
  host: "127.0.0.1";
  port: number;
  /** Implicit TLS. */
  secure: boolean;
  /** The certificate clients should trust, when TLS is served. */
  caPem: string | undefined;
  /** Messages received so far (live array, oldest first). */
  readonly messages: readonly SinkMessage[];
  /**
   * Resolves with the messages once at least `count` have arrived.
   * @throws MailregError INTERNAL when they do not arrive within `timeoutMs`
   */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** Forgets the received messages (and empties the spool directory). */
  clear(): void;
  /** Replaces the rule that refuses commands (`undefined` accepts everything). */
  failWith(rule: SinkRule | undefined): void;
  /**
   * Runs `hook` after a message is kept and before its 250 is sent (`undefined` removes it): a test
   * can cut the connection there, the one moment SMTP cannot recover from without a duplicate.
   */
  beforeReply(hook: ((message: SinkMessage) => void | Promise<void>) | undefined): void;
  /** Closes the server (open connections are cut after 500 ms). */
  stop(): Promise<void>;
}

/**
 * Refuses `RCPT TO:<reject-NNN@…>` with reply code NNN (e.g. `reject-451@example.test` for a
 * temporary and `reject-550@example.test` for a permanent failure); accepts everything else.
 * Usable from any process, since the address alone chooses the answer.
 */
export const rejectByLocalPart: SinkRule = (event) => {
  const match = event.stage === "rcpt" ? /^reject-([45]\d\d)@/i.exec(event.address) : null;
  if (match === null) return undefined;
  const code = Number(match[1]);
  return { code, message: code < 500 ? "4.2.0 Mailbox busy, try again later" : "5.1.1 Mailbox unavailable" };
};

/**
 * Starts an SMTP sink on a free loopback port.
 *
 * @param options auth users, TLS, refusal rule, spool directory
 * @returns the running sink
 * @example
 * ```ts
 * const sink = await startSmtpSink();
 * const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false });
 * await transport.sendMail({ from: "a@example.test", to: "b@example.test", text: "hi" });
 * const [message] = await sink.waitFor(1);
 * await sink.stop();
 * ```
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSinkHandle> {
  if (options.secure === true && options.certificate === undefined) {
    throw new MailregError("VALIDATION", "An implicit-TLS SMTP sink needs a certificate");
  }
  const users = new Map((options.users ?? []).map((u) => [u.user, u.password]));
  const verifyAccessToken = options.verifyAccessToken;
  const offersAuth = users.size > 0 || verifyAccessToken !== undefined;
  const messages: SinkMessage[] = [];
  const waiters = new Set<() => void>();
  let rule = options.failWith;
  let replyHook: ((message: SinkMessage) => void | Promise<void>) | undefined;
  if (options.spoolDir !== undefined) mkdirSync(options.spoolDir, { recursive: true });

  const check = (stage: SinkEvent["stage"], address: string, session: SMTPServerSession): Error | null => {
    const reply = rule?.({
      stage,
      address,
      mailFrom: _address(session.envelope.mailFrom),
      rcptTo: session.envelope.rcptTo.map((a) => a.address),
      user: session.user as string | undefined,
    });
    return reply === undefined ? null : Object.assign(new Error(reply.message), { responseCode: reply.code });
  };

  const server = new SMTPServer({
    name: "localhost",
    banner: "mailreg SMTP sink",
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 500,
    secure: options.secure === true,
    ...(options.certificate === undefined
      ? { disabledCommands: offersAuth ? ["STARTTLS"] : ["STARTTLS", "AUTH"] }
      : {
          key: options.certificate.keyPem,
          cert: options.certificate.certPem,
          ...(offersAuth ? {} : { disabledCommands: ["AUTH"] }),
        }),
    authMethods: [
      ...(users.size > 0 ? ["PLAIN", "LOGIN", "CRAM-MD5"] : []),
      ...(verifyAccessToken === undefined ? [] : ["XOAUTH2"]),
    ],
    authOptional: !offersAuth || options.authOptional === true,
    allowInsecureAuth: options.allowInsecureAuth ?? options.certificate === undefined,
    onAuth(auth, _session, callback) {
      if (auth.method === "XOAUTH2" && verifyAccessToken !== undefined) {
        const user = auth.username ?? "";
        void verifyAccessToken(user, auth.accessToken ?? "")
          .catch(() => false)
          .then((ok) =>
            // a refusal is XOAUTH2's error challenge (a JSON status), then 535 after the client's empty line
            ok ? callback(null, { user }) : callback(null, { data: { status: "401", schemes: "bearer" } }),
          );
        return;
      }
      const password = auth.username === undefined ? undefined : users.get(auth.username);
      const ok =
        password !== undefined &&
        (auth.method === "CRAM-MD5" ? auth.validatePassword(password) : auth.password === password);
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("5.7.8 Authentication failed"), { responseCode: 535 }));
    },
    onMailFrom(address, session, callback) {
      callback(check("mail", address.address, session));
    },
    onRcptTo(address, session, callback) {
      callback(check("rcpt", address.address, session));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const refusal = check("data", session.envelope.rcptTo[0]?.address ?? "", session);
        if (refusal !== null) {
          callback(refusal);
          return;
        }
        const message: SinkMessage = {
          id: messages.length + 1,
          mailFrom: _address(session.envelope.mailFrom),
          rcptTo: session.envelope.rcptTo.map((a) => a.address),
          user: session.user as string | undefined,
          secure: session.secure,
          raw: Buffer.concat(chunks).toString("utf8"),
          receivedAt: new Date().toISOString(),
        };
        messages.push(message);
        if (options.spoolDir !== undefined) _spool(options.spoolDir, message);
        for (const wake of waiters) wake();
        const reply = () => callback(null, `2.0.0 Accepted as message ${message.id}`);
        if (replyHook === undefined) reply();
        else Promise.resolve(replyHook(message)).then(reply, reply);
      });
    },
  });
  server.on("error", () => {
    // connection-level errors (a client hanging up mid-command) are the clients' business
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === "string")
    throw new MailregError("INTERNAL", "The SMTP sink has no port");

  return {
    host: "127.0.0.1",
    port: address.port,
    secure: options.secure === true,
    caPem: options.certificate?.certPem,
    messages,
    waitFor(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve([...messages]);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new MailregError(
              "INTERNAL",
              `The SMTP sink received ${messages.length} of ${count} messages within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
        wake();
      });
    },
    clear() {
      messages.length = 0;
      if (options.spoolDir === undefined) return;
      for (const name of readdirSync(options.spoolDir)) rmSync(join(options.spoolDir, name), { force: true });
    },
    failWith(next) {
      rule = next;
    },
    beforeReply(hook) {
      replyHook = hook;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function _address(address: SMTPServerAddress | false): string {
  return address === false ? "" : address.address;
}

/** Writes the message atomically (temp file, then rename), so readers never see half a file. */
function _spool(dir: string, message: SinkMessage): void {
  const name = `${String(message.id).padStart(8, "0")}.json`;
  const temp = join(dir, `.${name}.tmp`);
  writeFileSync(temp, JSON.stringify(message));
  renameSync(temp, join(dir, name));
}
