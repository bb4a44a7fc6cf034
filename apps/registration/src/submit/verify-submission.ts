/**
 * Verify-on-submit: logs in to the chosen server with the submitted credentials before the
 * registration is accepted, and turns a refusal into a field error the owner can act on.
 *
 * @module
 */
import type { ConnectionProfile, ErrorCode, NetworkPolicy } from "@mailreg/core";
import type { VerifyFailure, VerifyLogin } from "../deps.ts";
import { type FieldErrorCode, fieldsError } from "../http/field-errors.ts";
import type { ChosenServer } from "./check-submission.ts";

const _REFUSALS: Record<VerifyFailure, [ErrorCode, FieldErrorCode]> = {
  auth: ["MAIL_AUTH_FAILED", "login-refused"],
  unreachable: ["MAIL_CONNECTION_FAILED", "unreachable"],
  tls: ["MAIL_TLS_FAILED", "tls"],
  protocol: ["MAIL_PROTOCOL", "protocol"],
};

/**
 * Logs in with the profile; resolves when the server accepted the login.
 *
 * @param verifyLogin the login check
 * @param profile the profile about to be sealed
 * @param server the chosen server (its certificate policy, and which field to blame)
 * @param timeoutMs how long to wait
 * @param accessToken for an OAuth profile, the access token to log in with
 * @param policy the network policy the connection is made under
 * @throws {MailregError} MAIL_AUTH_FAILED (field `password`: login-refused), MAIL_CONNECTION_FAILED,
 *   MAIL_TLS_FAILED or MAIL_PROTOCOL (field `template` or `server.host`)
 */
export async function verifySubmission(
  verifyLogin: VerifyLogin,
  profile: ConnectionProfile,
  server: ChosenServer,
  timeoutMs: number,
  accessToken?: string,
  policy?: NetworkPolicy,
): Promise<void> {
  const options = { timeoutMs, tls: server.tls, ...(policy === undefined ? {} : { policy }) };
  const result = await verifyLogin(
    profile,
    accessToken === undefined ? options : { ...options, accessToken },
  );
  if (result.ok) return;
  const [code, field] = _REFUSALS[result.reason];
  const name =
    result.reason === "auth" ? "password" : server.template === undefined ? "server.host" : "template";
  throw fieldsError(code, { [name]: { code: field } });
}
