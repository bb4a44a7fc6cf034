/**
 * "Check mailbox", sending part: resolve, connect (TLS included), log in, send a test mail, and,
 * where the caller can look into the recipient's mailbox, confirm that it arrived. Each step is
 * reported with its time and, when it fails, a reason a user can act on.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { isMailregError, MailregError } from "@mailreg/core";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import XOAuth2 from "nodemailer/lib/xoauth2";
import { credentialSecret, type SmtpCredentials } from "./credentials.ts";
import { prepareMessage } from "./message.ts";
import type { SmtpResolution } from "./resolve.ts";
import { toSmtpError } from "./smtp-error.ts";
import { type TransportExtras, transportOptions } from "./transport-options.ts";

/** The steps of a check, in order. */
export type SendingCheckStep = "resolve" | "connect" | "login" | "send" | "arrival";

/** One step's outcome. */
export interface SendingCheckResult {
  step: SendingCheckStep;
  ok: boolean;
  /** Milliseconds the step took. */
  ms: number;
  /** What happened, for the admin. */
  detail: string;
  error?: { code: string; message: string };
}

/** The whole check. */
export interface SendingCheck {
  ok: boolean;
  steps: SendingCheckResult[];
  /** The test mail's Message-ID, once it was built. */
  messageId?: string;
}

/** What {@link checkSending} needs. */
export interface CheckSendingInput {
  /** The resolution for the mailbox (`resolveForAddress`, `resolveFromConfig`). */
  resolution: SmtpResolution;
  /** The login for the resolved server (`credentialsFor`); ignored when nothing resolved. */
  credentials: SmtpCredentials;
  /** The sender: the mailbox's address. */
  from: string;
  /** The test recipient (myfactory's "E-Mail-Adresse des Empfängers"). */
  to: string;
  /** Trusted CAs, timeouts, EHLO name. */
  extras?: TransportExtras;
  /**
   * Whether the test mail is in the recipient's mailbox yet, e.g. an IMAP search by Message-ID when
   * `to` is the mailbox itself; polled every 500 ms.
   */
  confirmArrival?: (messageId: string) => Promise<boolean>;
  /** How long to wait for the arrival, in ms. Default 30,000. */
  arrivalTimeoutMs?: number;
}

/**
 * Runs the sending check, stopping at the first failed step.
 *
 * @param input resolution, credentials, sender, test recipient, arrival probe
 * @returns each step with its time and reason, and the test mail's Message-ID
 * @example
 * ```ts ignore
 * const resolution = await resolveForAddress(config, "ann@example.org", { directory });
 * const check = await checkSending({ resolution, credentials, from: "ann@example.org", to: "it@example.org" });
 * for (const s of check.steps) console.log(s.step, s.ok ? "ok" : "FAILED", `${s.ms} ms`, s.detail);
 * ```
 */
export async function checkSending(input: CheckSendingInput): Promise<SendingCheck> {
  const steps: SendingCheckResult[] = [];
  const { resolution } = input;
  if (!resolution.resolved) {
    const reasons = resolution.passedOver.map((p) => `${p.source}: ${p.detail}`).join("; ");
    steps.push({
      step: "resolve",
      ok: false,
      ms: 0,
      detail: `No SMTP server is usable (${reasons})`,
      error: { code: "SMTP_NOT_CONFIGURED", message: `No SMTP server is usable (${reasons})` },
    });
    return { ok: false, steps };
  }
  const e = resolution.effective;
  steps.push({
    step: "resolve",
    ok: true,
    ms: 0,
    detail: `${e.host}:${e.port} (${e.security}) from level ${resolution.level} (${resolution.source})`,
  });

  const { auth, authMethod, ...connectOptions } = transportOptions(
    resolution.settings,
    input.credentials,
    input.extras,
  );
  const where = { host: e.host, port: e.port, user: e.auth.user };
  const secret = credentialSecret(input.credentials);
  const connection = new SMTPConnection(connectOptions);
  connection.on("error", () => {});
  const run = async <T>(
    step: SendingCheckStep,
    fn: () => Promise<T>,
    detail: (value: T) => string,
  ): Promise<T | undefined> => {
    const t = performance.now();
    try {
      const value = await fn();
      steps.push({ step, ok: true, ms: _ms(t), detail: detail(value) });
      return value;
    } catch (cause) {
      const error = isMailregError(cause) ? cause : toSmtpError(cause, where, secret);
      steps.push({
        step,
        ok: false,
        ms: _ms(t),
        detail: error.message,
        error: { code: error.code, message: error.message },
      });
      return undefined;
    }
  };

  try {
    const connected = await run(
      "connect",
      () => _call<true>(connection, (done) => connection.connect((err) => done(err ?? null, true))),
      () => `Connected to ${e.host}:${e.port}, ${connection.secure ? "encrypted (TLS)" : "NOT encrypted"}`,
    );
    if (connected === undefined) return { ok: false, steps };

    const loggedIn = await run(
      "login",
      () =>
        _call<string>(connection, (done) => {
          if (auth === undefined) {
            done(null, "No login configured");
            return;
          }
          const login =
            auth.type === "OAuth2"
              ? { user: auth.user, method: "XOAUTH2", oauth2: new XOAuth2(auth) }
              : { user: auth.user, pass: auth.pass, method: authMethod };
          connection.login(login, (err) =>
            done(err, `Logged in as ${e.auth.user} (${e.auth.method.toUpperCase()})`),
          );
        }),
      (text) => text,
    );
    if (loggedIn === undefined) return { ok: false, steps };

    const message = await prepareMessage(
      {
        message: {
          from: input.from,
          to: input.to,
          subject: "mailreg test message",
          text: `This is a test message from mailreg's mailbox check for ${input.from}.\r\nIt was sent through ${e.host}:${e.port}.\r\n`,
        },
      },
      input.from,
    );
    const sent = await run(
      "send",
      () =>
        _call<string>(connection, (done) =>
          connection.send(message.envelope, Buffer.from(message.raw), (err, info) => {
            const refused =
              err === null && info.rejected.length > 0 ? (info.rejectedErrors?.[0] ?? null) : null;
            done(err ?? refused, info?.response ?? "");
          }),
        ),
      (response) => `Accepted for ${input.to}: ${response}`,
    );
    if (sent === undefined) return { ok: false, steps, messageId: message.messageId };

    if (input.confirmArrival !== undefined) {
      const probe = input.confirmArrival;
      const arrived = await run(
        "arrival",
        () => _waitFor(() => probe(message.messageId), input.arrivalTimeoutMs ?? 30_000, message.messageId),
        (ms) => `The test mail arrived in ${input.to}'s mailbox after ${ms} ms`,
      );
      if (arrived === undefined) return { ok: false, steps, messageId: message.messageId };
    }
    return { ok: true, steps, messageId: message.messageId };
  } finally {
    connection.quit();
  }
}

/**
 * Runs one SMTPConnection call as a promise. The connection reports some failures (a failed TLS
 * handshake, a dropped socket) only as an "error" or "end" event, never to the call's callback.
 */
function _call<T>(
  connection: SMTPConnection,
  start: (done: (err: Error | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (err: Error) => finish(err);
    const onEnd = () =>
      finish(Object.assign(new Error("The server closed the connection"), { code: "ECONNECTION" }));
    const finish = (err: Error | null, value?: T) => {
      connection.off("error", onError);
      connection.off("end", onEnd);
      if (err) reject(err);
      else resolve(value as T);
    };
    connection.once("error", onError);
    connection.once("end", onEnd);
    start(finish);
  });
}

function _ms(since: number): number {
  return Math.round(performance.now() - since);
}

async function _waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  messageId: string,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe()) return _ms(started);
    if (performance.now() - started > timeoutMs) {
      throw new MailregError(
        "MAIL_PROTOCOL",
        `The test mail ${messageId} did not arrive within ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
