/**
 * The login a connection uses: the resolved level's own user and password, or the mailbox's
 * password or OAuth 2.0 access token. Access tokens come from an injected function (the worker wires
 * `@mailreg/oauth`'s token manager), so this package imports no OAuth code.
 *
 * @module
 */
import { type ConnectionProfile, MailregError } from "@mailreg/core";
import type { ResolvedSmtp, SmtpMailbox } from "./resolve.ts";

/**
 * Gives an access token for the mailbox's OAuth 2.0 grant; `renew` is true when the server refused
 * the last one (drop any cached token).
 */
export type AccessTokenSource = (mailbox: SmtpMailbox, renew: boolean) => Promise<string>;

/** What a connection logs in with. */
export type SmtpCredentials =
  | { method: "none" }
  | { method: "plain" | "login" | "cram-md5"; user: string; password: string }
  | { method: "xoauth2"; user: string; accessToken: (renew: boolean) => Promise<string> };

/** Where {@link credentialsFor} finds the mailbox's secret. */
export interface CredentialSources {
  /** The mailbox that sends. */
  mailbox?: SmtpMailbox;
  /** The mailbox's opened connection profile (needed when the level logs in with the mailbox's password). */
  profile?: ConnectionProfile;
  /** Access tokens for XOAUTH2. */
  getAccessToken?: AccessTokenSource;
}

/**
 * The credentials for a resolved server.
 *
 * @param resolved the winner of the chain
 * @param sources the mailbox, its opened profile, and the access-token source
 * @returns the credentials
 * @throws {MailregError} MAIL_AUTH_FAILED when the mailbox's password or token source is needed but not given
 * @example
 * ```ts
 * import { credentialsFor, requireResolved, resolve } from "@mailreg/smtp-resolver";
 * const resolved = requireResolved(resolve({
 *   default: { host: "smtp.example.com", port: 587, auth: { method: "plain", user: "relay", password: "pw" } },
 * }));
 * console.log(credentialsFor(resolved, {}).method); // plain
 * ```
 */
export function credentialsFor(resolved: ResolvedSmtp, sources: CredentialSources): SmtpCredentials {
  const { method, user, credentials } = resolved.effective.auth;
  if (method === "none" || credentials === "none") return { method: "none" };
  const server = `${resolved.effective.host}:${resolved.effective.port}`;
  const login = user ?? "";
  if (method === "xoauth2") {
    const { mailbox, getAccessToken } = sources;
    if (mailbox === undefined || getAccessToken === undefined) {
      throw new MailregError(
        "MAIL_AUTH_FAILED",
        `XOAUTH2 to ${server} needs an access token, and no token source is set`,
        {
          details: { host: resolved.effective.host, port: resolved.effective.port },
        },
      );
    }
    return { method, user: login, accessToken: (renew) => getAccessToken(mailbox, renew) };
  }
  if (credentials === "level")
    return { method, user: login, password: resolved.settings.auth.password ?? "" };
  const auth = sources.profile?.auth;
  if (auth?.method !== "password") {
    throw new MailregError(
      "MAIL_AUTH_FAILED",
      `${method.toUpperCase()} to ${server} needs the mailbox's password`,
      {
        details: { host: resolved.effective.host, port: resolved.effective.port },
      },
    );
  }
  return { method, user: login, password: auth.password };
}

/**
 * The secret in credentials (password or nothing), to cut out of anything quoted from a server.
 *
 * @param credentials the credentials
 * @returns the password, if any
 */
export function credentialSecret(credentials: SmtpCredentials): string | undefined {
  return "password" in credentials ? credentials.password : undefined;
}
