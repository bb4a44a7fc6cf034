/**
 * Checking that a connection profile logs in, for the registration form's "verify on submit".
 *
 * @module
 */
import { type ConnectionProfile, isMailregError } from "@mailreg/core";
import { type ConnectOptions, profileSecret } from "./connect-options.ts";
import { closeImap, connectImap } from "./imap-connect.ts";
import { type MailFailureReason, mailFailureMessage, mailFailureReason } from "./mail-error.ts";
import { connectPop3 } from "./pop3-connect.ts";

/** What {@link verifyLogin} found. `message` never holds the password or token. */
export type VerifyLoginResult = { ok: true } | { ok: false; reason: MailFailureReason; message: string };

/** The default budget of {@link verifyLogin}: shorter than a sync's, a user is waiting. */
export const VERIFY_TIMEOUT_MS = 8_000;

/**
 * Logs in to the profile's IMAP or POP3 server and out again. Never throws for a server's
 * refusal: the result says why (auth, unreachable, tls or protocol) in a sentence for the owner.
 *
 * @param profile the connection profile (host, port, security, login, secret)
 * @param options timeout (default {@link VERIFY_TIMEOUT_MS}), certificate policy, access token for OAuth
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
  options: ConnectOptions = {},
): Promise<VerifyLoginResult> {
  const connect: ConnectOptions = { ...options, timeoutMs: options.timeoutMs ?? VERIFY_TIMEOUT_MS };
  try {
    if (profile.protocol === "imap") {
      await closeImap(await connectImap(profile, connect));
    } else {
      const client = await connectPop3(profile, connect);
      // QUIT without DELE changes nothing on the server
      await client.quit().catch(() => client.close());
    }
    return { ok: true };
  } catch (error) {
    const reason = mailFailureReason(error);
    const message = isMailregError(error)
      ? error.message
      : mailFailureMessage(reason, error, profile, profileSecret(profile, options.accessToken));
    return { ok: false, reason, message };
  }
}
