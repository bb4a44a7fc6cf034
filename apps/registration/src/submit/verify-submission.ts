/**
 * Verify-on-submit: logs in to the chosen server with the submitted credentials before the
 * registration is accepted. The anonymous caller only learns that signing in did not work — the
 * same answer for a wrong password, an unreachable server, a refused certificate or a forbidden
 * address, so the form is no oracle for passwords or for what listens where; the reason travels in
 * the error's `cause` to the audit log, where the administrator sees it.
 *
 * @module
 */
import { type ConnectionProfile, MailregError, type NetworkPolicy } from "@mailreg/core";
import type { VerifyFailure, VerifyLogin } from "../deps.ts";
import { fieldsError } from "../http/field-errors.ts";
import type { ChosenServer } from "./check-submission.ts";

/** Why a verify failed, for the audit log (never for the caller). */
export interface VerifyRefusal {
  reason: VerifyFailure;
  /** The check's sentence (never holds the secret). */
  message: string;
}

/**
 * The refusal behind a MAIL_SIGN_IN_FAILED error of {@link verifySubmission}, if it is one.
 *
 * @param error what was thrown
 * @returns the reason and the check's sentence, or undefined
 */
export function verifyRefusalOf(error: unknown): VerifyRefusal | undefined {
  if (!(error instanceof MailregError) || error.code !== "MAIL_SIGN_IN_FAILED") return undefined;
  const cause = (error as { cause?: unknown }).cause as { refusal?: VerifyRefusal } | undefined;
  return cause?.refusal;
}

/**
 * Logs in with the profile; resolves when the server accepted the login.
 *
 * @param verifyLogin the login check
 * @param profile the profile about to be sealed
 * @param server the chosen server (its certificate policy)
 * @param timeoutMs how long to wait
 * @param accessToken for an OAuth profile, the access token to log in with
 * @param policy the network policy the connection is made under
 * @throws {MailregError} MAIL_SIGN_IN_FAILED (field `password`: sign-in-failed) for every failure;
 *   {@link verifyRefusalOf} reads the reason
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
  const refusal: VerifyRefusal = { reason: result.reason, message: result.message };
  const error = fieldsError("MAIL_SIGN_IN_FAILED", { password: { code: "sign-in-failed" } });
  throw new MailregError(error.code, "Signing in to the mail server did not work", {
    ...(error.details === undefined ? {} : { details: error.details }),
    cause: Object.assign(new Error(`verify refused: ${result.reason}`), { refusal }),
  });
}
