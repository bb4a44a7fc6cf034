/**
 * Opening an imapflow connection from a connection profile: security mode, certificate policy,
 * password or OAuth 2.0 login, timeouts; failures become typed {@link MailregError}s.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import { connectTarget, MailregError } from "@mailreg/core";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import { _dnsResolve } from "./_dns.ts";
import { type ConnectOptions, DEFAULT_TIMEOUT_MS, profileSecret } from "./connect-options.ts";
import { toMailError } from "./mail-error.ts";

/**
 * The longest response line accepted from an IMAP server, in bytes (imapflow's default is 1 GiB).
 * A SEARCH answer of two million UIDs fits; a server that never ends its line is cut off here.
 */
export const IMAP_MAX_LINE_BYTES = 32 * 1024 * 1024;
/**
 * The largest literal (one message's source) accepted, in bytes (imapflow's default is 1 GiB):
 * above the largest message any common provider lets through (150 MB), below what would exhaust a
 * small worker's memory. A larger literal fails the connection with MAIL_PROTOCOL.
 */
export const IMAP_MAX_LITERAL_BYTES = 256 * 1024 * 1024;

/**
 * The imapflow options for a profile: implicit TLS for "tls", STARTTLS required for "starttls",
 * plain for "none"; QRESYNC enabled where offered; no logging (a secret never reaches a log); a
 * response line, literal and whole response bounded ({@link IMAP_MAX_LINE_BYTES},
 * {@link IMAP_MAX_LITERAL_BYTES}); a server silent for six times `timeoutMs` is given up on.
 *
 * @param profile the opened connection profile
 * @param options timeouts, certificate policy, access token
 * @param target the checked address to connect to and the name it stands for (from
 *   `connectTarget`); default the profile's host
 * @returns options for `new ImapFlow()`
 * @throws {MailregError} MAIL_AUTH_FAILED when an OAuth profile comes without an access token
 */
export function imapFlowOptions(
  profile: ConnectionProfile,
  options: ConnectOptions = {},
  target: { address: string; servername?: string } = { address: profile.host },
): ImapFlowOptions {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tls = options.tls ?? {};
  return {
    host: target.address,
    ...(target.servername === undefined ? {} : { servername: target.servername }),
    port: profile.port,
    secure: profile.security === "tls",
    doSTARTTLS: profile.security === "starttls",
    tls: {
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    },
    auth: _auth(profile, options.accessToken),
    logger: false,
    qresync: true,
    disableAutoIdle: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 6,
    maxLineLength: IMAP_MAX_LINE_BYTES,
    maxLiteralSize: IMAP_MAX_LITERAL_BYTES,
    maxResponseSize: IMAP_MAX_LITERAL_BYTES + IMAP_MAX_LINE_BYTES,
  };
}

const _dropped = new WeakMap<ImapFlow, unknown>();

/**
 * The error to report for a failed command: when imapflow dropped the connection itself (a literal
 * or a line over its cap, a response it could not parse), the command waiting on it only sees
 * "Connection not available"; the reason came in the client's 'error' event.
 *
 * @param client the client the command ran on
 * @param error what the command threw
 * @returns the reason the connection was dropped, or `error`
 */
export function whyDropped(client: ImapFlow, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = _dropped.get(client);
  return (code === "NoConnection" || code === "EConnectionClosed") && reason !== undefined ? reason : error;
}

/**
 * Connects and logs in, to the address the network policy checked (`options.policy`). Closes the connection again when the login fails or takes longer than
 * `timeoutMs` (twice the connect budget covers connect, TLS, greeting and login).
 *
 * @param profile the opened connection profile
 * @param options timeouts, certificate policy, access token
 * @returns the logged-in client; call `logout()` when done
 * @throws {MailregError} MAIL_AUTH_FAILED, MAIL_CONNECTION_FAILED, MAIL_TLS_FAILED, MAIL_PROTOCOL or
 *   MAIL_HOST_NOT_ALLOWED
 */
export async function connectImap(
  profile: ConnectionProfile,
  options: ConnectOptions = {},
): Promise<ImapFlow> {
  const where = { host: profile.host, port: profile.port, login: profile.login };
  const secret = profileSecret(profile, options.accessToken);
  // resolved once and checked here; imapflow gets the address, so it never resolves the name again
  const target = await connectTarget(
    options.policy,
    profile.host,
    profile.port,
    _dnsResolve(options.policy?.dnsServers ?? []),
  );
  let client: ImapFlow;
  try {
    client = new ImapFlow(imapFlowOptions(profile, options, target));
  } catch (error) {
    throw toMailError(error, where, secret);
  }
  // an 'error' event without a listener would crash the process; it also says why a connection
  // was dropped, which the command waiting on it never learns (see whyDropped)
  client.on("error", (error: unknown) => {
    _dropped.set(client, error);
  });
  const budget = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 2;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`No login within ${budget} ms`), { code: "ETIMEOUT" })),
          budget,
        );
      }),
    ]);
    return client;
  } catch (error) {
    client.close();
    throw toMailError(error, where, secret);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Logs out politely, or closes the socket when the server does not answer in time.
 *
 * @param client a connected client
 * @param timeoutMs how long to wait for the LOGOUT answer
 */
export async function closeImap(client: ImapFlow, timeoutMs = 2_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([client.logout(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  } catch {
    // the connection is going away either way
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

function _auth(profile: ConnectionProfile, accessToken: string | undefined): ImapFlowOptions["auth"] {
  if (profile.auth.method === "password") return { user: profile.login, pass: profile.auth.password };
  if (accessToken === undefined || accessToken === "") {
    throw new MailregError("MAIL_AUTH_FAILED", "An OAuth 2.0 profile needs an access token to log in", {
      details: { reason: "auth", host: profile.host, port: profile.port },
    });
  }
  return { user: profile.login, accessToken };
}
