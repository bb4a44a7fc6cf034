/**
 * Opening a logged-in POP3 session from a connection profile; failures become typed
 * {@link MailregError}s.
 *
 * @module
 */
import { type ConnectionProfile, connectTarget, MailregError } from "@mailreg/core";
import { _dnsResolve } from "./_dns.ts";
import { type ConnectOptions, profileSecret } from "./connect-options.ts";
import { toMailError } from "./mail-error.ts";
import { Pop3Client } from "./pop3-client.ts";

/**
 * Connects (POP3S, STLS or plain, as the profile says) and logs in with the password or, for an
 * OAuth 2.0 profile, XOAUTH2 and `options.accessToken`.
 *
 * @param profile the opened connection profile
 * @param options timeouts, certificate policy, access token
 * @returns the client in the TRANSACTION state; end with `quit()` (commits DELEs) or `close()`
 * @throws {MailregError} MAIL_AUTH_FAILED, MAIL_CONNECTION_FAILED, MAIL_TLS_FAILED, MAIL_PROTOCOL or
 *   MAIL_HOST_NOT_ALLOWED (the network policy of `options.policy`)
 */
export async function connectPop3(
  profile: ConnectionProfile,
  options: ConnectOptions = {},
): Promise<Pop3Client> {
  const where = { host: profile.host, port: profile.port, login: profile.login };
  const secret = profileSecret(profile, options.accessToken);
  if (profile.auth.method === "oauth2" && (secret === undefined || secret === "")) {
    throw new MailregError("MAIL_AUTH_FAILED", "An OAuth 2.0 profile needs an access token to log in", {
      details: { reason: "auth", host: profile.host, port: profile.port },
    });
  }
  // resolved once and checked; the socket goes to the checked address, TLS still checks the name
  const target = await connectTarget(
    options.policy,
    profile.host,
    profile.port,
    _dnsResolve(options.policy?.dnsServers ?? []),
  );
  const servername = options.tls?.servername ?? target.servername;
  let client: Pop3Client | undefined;
  try {
    client = await Pop3Client.connect({
      host: target.address,
      port: profile.port,
      security: profile.security,
      ...(options.tls === undefined && servername === undefined
        ? {}
        : { tls: { ...options.tls, ...(servername === undefined ? {} : { servername }) } }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    if (profile.auth.method === "password") await client.login(profile.login, profile.auth.password);
    else await client.loginOAuth2(profile.login, secret ?? "");
    return client;
  } catch (error) {
    client?.close();
    throw toMailError(error, where, secret);
  }
}
