/**
 * How a source connects: timeouts, the certificate policy and, for OAuth 2.0 profiles, the access
 * token. Shared by {@link verifyLogin}, {@link checkMailbox} and the IMAP and POP3 sources.
 *
 * @module
 */
import type { ConnectionProfile, NetworkPolicy } from "@mailreg/core";

/** The certificate policy of a connection (myfactory's "don't verify" and "alternative name"). */
export interface TlsOptions {
  /** Certificates to trust besides the system's (PEM), e.g. a self-signed server's own. */
  ca?: string | string[];
  /** Check the certificate against this name instead of the host (an alternative name). */
  servername?: string;
  /** false accepts any certificate: only for test servers, and loudly so. Default true. */
  rejectUnauthorized?: boolean;
}

/** Options of every connection to a mail server. */
export interface ConnectOptions {
  /** Budget for connecting, the TLS handshake, the greeting and each answer, in ms. Default 10,000. */
  timeoutMs?: number;
  /** The certificate policy. */
  tls?: TlsOptions;
  /**
   * An OAuth 2.0 access token for a profile whose `auth.method` is "oauth2" (XOAUTH2/OAUTHBEARER).
   * The profile holds the refresh token; getting an access token from it is `@mailreg/oauth`'s job.
   */
  accessToken?: string;
  /**
   * The network policy for servers the public typed in (`networkPolicy(config)` of `@mailreg/core`):
   * the name is resolved once, every address checked, and the connection goes to the checked address
   * (the certificate is still checked against the name). Without it the host is connected to as named.
   */
  policy?: NetworkPolicy;
}

/**
 * The secret a connection uses (the password or the access token), to keep out of messages.
 *
 * @param profile the opened profile
 * @param accessToken the access token of an OAuth profile
 * @returns the secret, if any
 */
export function profileSecret(profile: ConnectionProfile, accessToken?: string): string | undefined {
  return profile.auth.method === "password" ? profile.auth.password : accessToken;
}

/** The default of {@link ConnectOptions.timeoutMs}. */
export const DEFAULT_TIMEOUT_MS = 10_000;
