/**
 * Translating what nodemailer throws into {@link MailregError}s a user can act on. The only place
 * that branches on nodemailer's error shape.
 *
 * | nodemailer | code | retried by the outbox |
 * |---|---|---|
 * | `EAUTH`, `ENOAUTH`, `EOAUTH2` | MAIL_AUTH_FAILED (with the server's answer) | yes |
 * | `ETLS`, certificate and TLS socket errors | MAIL_TLS_FAILED ("certificate not trusted" …) | yes |
 * | a 4xx answer (or 503) | SMTP_TEMPORARY (`details.response`) | yes |
 * | a 5xx answer | SMTP_PERMANENT (`details.response`) | no: failed for good |
 * | refused, unreachable, timeouts, dropped connections | MAIL_CONNECTION_FAILED | yes |
 * | anything else | MAIL_PROTOCOL | yes |
 *
 * @module
 */
import { type ErrorCode, isMailregError, MailregError } from "@mailreg/core";

/** The server (and login) an error is about. */
export interface SmtpWhere {
  host: string;
  port: number;
  user?: string | undefined;
}

const _CERT = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;
const _TLS = /^(ERR_TLS|ERR_SSL|EPROTO$)/;
const _UNREACHABLE = new Set(["ESOCKET", "ECONNECTION", "EDNS", "ETIMEDOUT"]);

/**
 * Whether an error should leave a queued message for another attempt (everything but a 5xx refusal
 * of the message itself, and validation errors).
 *
 * @param error a MailregError from {@link toSmtpError} (or anything)
 * @returns true for a temporary failure
 */
export function isTemporarySmtpError(error: unknown): boolean {
  if (!isMailregError(error)) return true;
  return error.code !== "SMTP_PERMANENT" && error.code !== "VALIDATION";
}

/**
 * Wraps a nodemailer error as a MailregError with a message naming the server and what to check.
 * A MailregError passes through unchanged. The secret in use is cut out of anything quoted.
 *
 * @param error what nodemailer threw
 * @param where the server and login
 * @param secret the password in use, never quoted
 * @returns the typed error; `details` has host, port and, when the server answered, `response`,
 *   `responseCode` and `command`
 */
export function toSmtpError(error: unknown, where: SmtpWhere, secret?: string): MailregError {
  if (isMailregError(error)) return error;
  const e = (error ?? {}) as {
    code?: unknown;
    originalCode?: unknown;
    response?: unknown;
    responseCode?: unknown;
    permanent?: unknown;
    command?: unknown;
    message?: unknown;
    reason?: unknown;
    timeoutType?: unknown;
  };
  const scrub = (text: string) =>
    secret === undefined || secret === "" ? text : text.split(secret).join("***");
  const code = typeof e.code === "string" ? e.code : "";
  const original = typeof e.originalCode === "string" ? e.originalCode : "";
  const response = typeof e.response === "string" ? scrub(e.response.trim()).slice(0, 500) : undefined;
  const responseCode = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const message = scrub(
    typeof e.message === "string" ? (e.message.split(/\r?\n/, 1)[0] ?? "") : String(error),
  ).slice(0, 300);
  const server = `${where.host}:${where.port}`;
  const details: Record<string, unknown> = { host: where.host, port: where.port };
  if (response !== undefined) details.response = response;
  if (responseCode !== undefined) details.responseCode = responseCode;
  if (typeof e.command === "string") details.command = e.command.replace(/^(AUTH \S+).*/, "$1");
  if (code !== "") details.errorCode = code;
  if (original !== "") details.originalCode = original;
  const make = (c: ErrorCode, text: string) =>
    new MailregError(c, text, { cause: _scrubbed(code, message), details });

  if (code === "EAUTH" || code === "ENOAUTH" || code === "EOAUTH2") {
    const who = where.user === undefined ? "" : ` of ${where.user}`;
    return make("MAIL_AUTH_FAILED", `${server} refused the login${who}: ${response ?? message}`);
  }
  if (code === "ETLS" || _CERT.test(original) || _TLS.test(original) || e.timeoutType === "UPGRADE_TIMEOUT") {
    return make("MAIL_TLS_FAILED", _tlsMessage(server, code, original, message, response));
  }
  if (responseCode !== undefined && responseCode >= 400) {
    const permanent = e.permanent === true || (e.permanent === undefined && responseCode >= 500);
    return permanent
      ? make("SMTP_PERMANENT", `${server} refused the message for good: ${response ?? message}`)
      : make("SMTP_TEMPORARY", `${server} refused the message for now: ${response ?? message}`);
  }
  if (_UNREACHABLE.has(code)) {
    const why = original === "" ? message : `${original}: ${message}`;
    return make(
      "MAIL_CONNECTION_FAILED",
      `${server} could not be reached or dropped the connection (${why})`,
    );
  }
  return make(
    "MAIL_PROTOCOL",
    `${server} answered something unexpected (${code === "" ? message : `${code}: ${message}`})`,
  );
}

function _tlsMessage(
  server: string,
  code: string,
  original: string,
  message: string,
  response?: string,
): string {
  if (original === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `The certificate of ${server} is not trusted: it is not issued for this name (${message}); set the alternative name it carries (tls.servername)`;
  }
  if (_CERT.test(original)) {
    return `The certificate of ${server} is not trusted (${message}): install its CA, or check the host`;
  }
  if (code === "ETLS" && response !== undefined) {
    return `${server} does not offer STARTTLS, which this security setting requires (${response})`;
  }
  if (original === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return `The TLS handshake with ${server} failed (${message}): the port probably expects STARTTLS, not implicit TLS`;
  }
  return `The TLS connection to ${server} failed (${original || code}: ${message})`;
}

/** A plain Error with only the scrubbed message and code, so no secret travels in `cause`. */
function _scrubbed(code: string, message: string): Error {
  const out = new Error(message);
  if (code !== "") Object.assign(out, { code });
  return out;
}
