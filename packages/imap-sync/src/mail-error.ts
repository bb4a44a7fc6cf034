/**
 * Translating what IMAP and POP3 clients and sockets throw into one of four reasons a user can act on,
 * and into {@link MailregError} codes. The adapter files call it; nothing else branches on a library's
 * error shape.
 *
 * @module
 */
import { type ErrorCode, isMailregError, MailregError } from "@mailreg/core";

/** Why talking to a mail server failed. */
export type MailFailureReason = "auth" | "unreachable" | "tls" | "protocol";

/** The error code of each reason. */
export const MAIL_ERROR_CODES: Readonly<Record<MailFailureReason, ErrorCode>> = {
  auth: "MAIL_AUTH_FAILED",
  unreachable: "MAIL_CONNECTION_FAILED",
  tls: "MAIL_TLS_FAILED",
  protocol: "MAIL_PROTOCOL",
};

const _UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ETIMEOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "GREETING_TIMEOUT",
  "NoConnection",
  "EConnectionClosed",
  "ClosedAfterConnectText",
]);

const _TLS_MESSAGE = /certificate|self[- ]signed|\bssl\b|\btls\b|handshake|altname/i;

/**
 * The reason behind an error from imapflow, the POP3 client or a socket.
 *
 * @param error anything caught while connecting, logging in or talking to the server
 * @returns auth, unreachable, tls or protocol
 */
export function mailFailureReason(error: unknown): MailFailureReason {
  if (isMailregError(error)) {
    if (error.code === "MAIL_HOST_NOT_ALLOWED") return "unreachable";
    const entry = Object.entries(MAIL_ERROR_CODES).find(([, code]) => code === error.code);
    return entry === undefined ? "protocol" : (entry[0] as MailFailureReason);
  }
  const e = (error ?? {}) as { code?: unknown; authenticationFailed?: unknown; message?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : "";
  if (e.authenticationFailed === true) return "auth";
  if (
    code.startsWith("ERR_TLS") ||
    code.startsWith("ERR_SSL") ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code) ||
    code === "ClosedAfterConnectTLS" ||
    code === "UPGRADE_TIMEOUT" ||
    (code === "" && _TLS_MESSAGE.test(message))
  ) {
    return "tls";
  }
  if (_UNREACHABLE.has(code)) return "unreachable";
  return "protocol";
}

/**
 * A sentence for the user: what failed and what to check. Never contains a secret: `secret` (the
 * password or token in use) is cut out of any server text quoted.
 *
 * @param reason the reason from {@link mailFailureReason}
 * @param error the error, for a short quote of the server's or the system's words
 * @param where "host:port" (and the login for auth failures) to name in the message
 * @param secret the secret in use, removed from anything quoted
 * @returns the message
 */
export function mailFailureMessage(
  reason: MailFailureReason,
  error: unknown,
  where: { host: string; port: number; login?: string },
  secret?: string,
): string {
  const server = `${where.host}:${where.port}`;
  const detail = _detail(error, secret);
  const suffix = detail === "" ? "" : ` (${detail})`;
  switch (reason) {
    case "auth":
      return `${server} refused the login${where.login === undefined ? "" : ` of ${where.login}`}: check the login name and password${suffix}`;
    case "unreachable":
      return `${server} could not be reached: check the host, the port and the network${suffix}`;
    case "tls":
      return `The TLS connection to ${server} failed: the certificate is not trusted or does not match the name${suffix}`;
    case "protocol":
      return `${server} answered something unexpected${suffix}`;
  }
}

/**
 * Wraps `error` as a {@link MailregError} with the code of its reason (a MailregError passes through).
 *
 * @param error anything caught
 * @param where the server (and login) to name
 * @param secret the secret in use, never quoted
 * @returns the typed error, with `cause` and `details.reason`
 */
export function toMailError(
  error: unknown,
  where: { host: string; port: number; login?: string },
  secret?: string,
): MailregError {
  if (isMailregError(error)) return error;
  const reason = mailFailureReason(error);
  return new MailregError(MAIL_ERROR_CODES[reason], mailFailureMessage(reason, error, where, secret), {
    cause: secret === undefined ? error : _scrubbed(error, secret),
    details: { reason, host: where.host, port: where.port },
  });
}

/** A short quote of the error: its code and the first line of its message, without the secret. */
function _detail(error: unknown, secret: string | undefined): string {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; responseText?: unknown };
  const text = typeof e.responseText === "string" && e.responseText !== "" ? e.responseText : e.message;
  let line = typeof text === "string" ? (text.split(/\r?\n/, 1)[0] ?? "").slice(0, 200) : "";
  if (secret !== undefined && secret !== "") line = line.split(secret).join("***");
  const code = typeof e.code === "string" ? e.code : "";
  return line === "" || line === code ? code : code === "" ? line : `${code}: ${line}`;
}

/** A plain Error carrying only the scrubbed message and code, so no secret travels in `cause`. */
function _scrubbed(error: unknown, secret: string): Error {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(error);
  const out = new Error(secret === "" ? message : message.split(secret).join("***"));
  if (typeof e.code === "string") Object.assign(out, { code: e.code });
  return out;
}
