/**
 * From SMTP settings and credentials to nodemailer's transport options. Pure: the one place that
 * decides what a port, a security setting, a certificate policy and an auth method mean on the wire.
 *
 * @module
 */
import type { Security, SmtpSettings } from "@mailreg/core";
import type { SMTPTransportOptions } from "nodemailer";
import type { SmtpCredentials } from "./credentials.ts";
import { effectiveSecurity } from "./security.ts";

/** The settings a connection needs: host, port, optional explicit security, certificate policy. */
export type TransportSettings = Pick<SmtpSettings, "host" | "port" | "tls"> & {
  security?: Security | undefined;
};

/** Process-wide choices that are not part of a level's settings. */
export interface TransportExtras {
  /** Certificates to trust besides the system's (PEM), e.g. an internal CA. */
  ca?: string | string[];
  /** Budget for connecting, the TLS handshake and the greeting, in ms. Default 30,000. */
  timeoutMs?: number;
  /** The name this client gives in EHLO. Default nodemailer's (the machine's host name). */
  name?: string;
}

/** The default of {@link TransportExtras.timeoutMs}. */
export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

const _SASL = { plain: "PLAIN", login: "LOGIN", "cram-md5": "CRAM-MD5" } as const;

/**
 * The nodemailer options for a server:
 * - security: 465 (or `tls`) connects with TLS; 587 (or `starttls`) requires STARTTLS and fails
 *   without it; other ports use STARTTLS when offered (`opportunisticTLS`); `none` never uses TLS;
 * - certificates are checked unless `tls.verify` is false; `tls.servername` is the name the
 *   certificate must carry (and the SNI sent) instead of the host;
 * - auth: PLAIN, LOGIN or CRAM-MD5 (`authMethod`) with user and password, XOAUTH2 with a token from
 *   the credentials' token function, or no login;
 * - no logging, so no secret reaches a log.
 *
 * @param settings host, port, security and certificate policy
 * @param credentials the login
 * @param extras trusted CAs, timeouts, EHLO name
 * @returns options for `nodemailer.createTransport()` (add `pool: true` for a pooled transport)
 * @example
 * ```ts
 * import { transportOptions } from "@mailreg/smtp-resolver";
 * const o = transportOptions({ host: "smtp.example.com", port: 587, tls: { verify: true } }, { method: "none" });
 * console.log(o.secure, o.requireTLS); // false true
 * ```
 */
export function transportOptions(
  settings: TransportSettings,
  credentials: SmtpCredentials,
  extras: TransportExtras = {},
): SMTPTransportOptions {
  const { security } = effectiveSecurity(settings);
  const timeout = extras.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const tls: NonNullable<SMTPTransportOptions["tls"]> = { rejectUnauthorized: settings.tls.verify };
  if (settings.tls.servername !== undefined) tls.servername = settings.tls.servername;
  if (extras.ca !== undefined) tls.ca = extras.ca;
  const options: SMTPTransportOptions = {
    host: settings.host,
    port: settings.port,
    secure: security === "tls",
    requireTLS: security === "starttls",
    ignoreTLS: security === "none",
    opportunisticTLS: security === "opportunistic",
    tls,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: Math.max(2 * timeout, 60_000),
    logger: false,
    debug: false,
  };
  if (settings.tls.servername !== undefined) options.servername = settings.tls.servername;
  if (extras.name !== undefined) options.name = extras.name;
  switch (credentials.method) {
    case "none":
      break;
    case "xoauth2": {
      const { accessToken } = credentials;
      options.auth = {
        type: "OAuth2",
        user: credentials.user,
        provisionCallback: (_user, renew, callback) => {
          accessToken(renew).then(
            // ask again within a minute: the token source caches and refreshes before expiry
            (token) => callback(null, token, Date.now() + 60_000),
            (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
          );
        },
      };
      break;
    }
    default:
      options.auth = { user: credentials.user, pass: credentials.password };
      options.authMethod = _SASL[credentials.method];
  }
  return options;
}
