/**
 * Checking that a connection profile logs in, for the registration form's "verify on submit".
 *
 * @module
 */
import { type ConnectionProfile, isMailregError, MailregError } from "@mailreg/core";
import { type ConnectOptions, profileSecret } from "./connect-options.ts";
import { type MailFailureReason, mailFailureMessage, mailFailureReason } from "./mail-error.ts";
import type { SourceFactory } from "./source.ts";
import { SOURCES } from "./sources.ts";

/** What {@link verifyLogin} found. `message` never holds the password or token. */
export type VerifyLoginResult = { ok: true } | { ok: false; reason: MailFailureReason; message: string };

/** The default budget of {@link verifyLogin}: shorter than a sync's, a user is waiting. */
export const VERIFY_TIMEOUT_MS = 8_000;

/**
 * Logs in to the profile's server and out again, through the source its protocol names in the
 * source registry (IMAP, POP3 …): connecting is logging in, and closing leaves the mailbox as it was.
 * Never throws for a server's refusal: the result says why (auth, unreachable, tls or protocol) in
 * a sentence for the owner.
 *
 * @param profile the connection profile (host, port, security, login, secret)
 * @param options timeout (default {@link VERIFY_TIMEOUT_MS}), certificate policy, access token for
 *   OAuth, and the source registry (default `SOURCES`)
 * @returns `{ ok: true }` or the reason and a message
 * @example
 * ```ts
 * import { verifyLogin } from "@mailreg/imap-sync";
 * const result = await verifyLogin(
 *   { v: 1, address: "ann@example.org", protocol: "imap", host: "127.0.0.1", port: 1, security: "tls",
 *     login: "ann", auth: { method: "password", password: "pw" } },
 *   { timeoutMs: 2_000 },
 * );
 * console.log(result.ok ? "logged in" : `${result.reason}: ${result.message}`); // unreachable: …
 * ```
 */
export async function verifyLogin(
  profile: ConnectionProfile,
  options: ConnectOptions & { sources?: ReadonlyMap<string, SourceFactory> } = {},
): Promise<VerifyLoginResult> {
  const { sources = SOURCES, ...rest } = options;
  const connect: ConnectOptions = { ...rest, timeoutMs: options.timeoutMs ?? VERIFY_TIMEOUT_MS };
  try {
    const factory = sources.get(profile.protocol);
    if (factory === undefined) {
      throw new MailregError("MAIL_PROTOCOL", `There is no source for protocol ${profile.protocol}`, {
        details: { protocol: profile.protocol },
      });
    }
    const source = await factory(profile, connect);
    // logged in; a POP3 QUIT without DELE or an IMAP LOGOUT changes nothing, and may fail harmlessly
    await source.close().catch(() => undefined);
    return { ok: true };
  } catch (error) {
    const reason = mailFailureReason(error);
    const message = isMailregError(error)
      ? error.message
      : mailFailureMessage(reason, error, profile, profileSecret(profile, options.accessToken));
    return { ok: false, reason, message };
  }
}
