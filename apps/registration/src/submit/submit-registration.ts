/**
 * Accepting a registration: check it, optionally verify the login, seal the whole connection
 * profile with the registry public key, and store it as pending. The password goes nowhere else.
 *
 * @module
 */
import { type Config, type ConnectionProfile, MailregError, networkPolicy } from "@mailreg/core";
import type { Keyring } from "@mailreg/crypto-registry";
import type { Store } from "@mailreg/store";
import type { z } from "zod";
import type { ResolveHost, VerifyLogin } from "../deps.ts";
import { fieldsError } from "../http/field-errors.ts";
import { type CheckedRegistration, checkAddress, checkSubmission } from "./check-submission.ts";
import { issuesToFields, type RegistrationBody, RegistrationBodySchema } from "./registration-body.ts";
import type { RegistrationWriter } from "./registration-writer.ts";
import { type Submitted, storeProfile } from "./store-profile.ts";
import { verifySubmission } from "./verify-submission.ts";

/** What a submission needs. */
export interface SubmitContext {
  config: Config;
  store: Store;
  keyring: Keyring;
  clock: () => Date;
  verifyLogin: VerifyLogin | undefined;
  resolveHost: ResolveHost | undefined;
  verifyTimeoutMs: number;
  /** Stores a new registration (batched: see `registration-writer.ts`). */
  writeRegistration: RegistrationWriter;
}

export type { Submitted } from "./store-profile.ts";

/**
 * The error for a body that failed its schema: the schema's problems, plus the address's when the
 * schema let it through, so the owner sees every problem at once.
 *
 * @param issues the schema's issues
 * @param input the body
 * @param config the config (allowed domains)
 * @returns the VALIDATION error with `details.fieldErrors`
 */
export function invalidBodyError(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  config: Config,
): MailregError {
  const fields = issuesToFields(issues, input);
  const address = (input as { address?: unknown } | null)?.address;
  if (fields.address === undefined && typeof address === "string") {
    checkAddress(address, config.registration.allowedDomains, fields);
  }
  return fieldsError("VALIDATION", fields);
}

function _profile(r: CheckedRegistration): ConnectionProfile {
  const { protocol, host, port, security, template } = r.server;
  return {
    v: 1,
    address: r.address,
    protocol,
    host,
    port,
    security,
    login: r.login,
    auth: { method: "password", password: r.password },
    ...(template === undefined ? {} : { template }),
  };
}

/**
 * Validates, checks, verifies (when the config asks), seals and stores a registration. Call it only
 * while registration is open.
 *
 * @param ctx config, store, keys, clock and the login check
 * @param input the registration body (JSON, or built from the form)
 * @returns the new registration's id and arrival time
 * @throws {MailregError} VALIDATION (details.fieldErrors), MAIL_AUTH_FAILED, MAIL_CONNECTION_FAILED,
 *   MAIL_TLS_FAILED, MAIL_PROTOCOL, DEPENDENCY_MISSING (verify-on-submit without a login check)
 */
export async function submitRegistration(ctx: SubmitContext, input: unknown): Promise<Submitted> {
  const parsed = RegistrationBodySchema.safeParse(input);
  if (!parsed.success) throw invalidBodyError(parsed.error.issues, input, ctx.config);
  return await acceptRegistration(ctx, parsed.data);
}

/**
 * {@link submitRegistration} for a body already validated against `RegistrationBodySchema` (as the
 * API route's validator does).
 *
 * @param ctx config, store, keys, clock and the login check
 * @param body the validated body
 * @returns the new registration's id and arrival time
 * @throws {MailregError} as {@link submitRegistration}
 */
export async function acceptRegistration(ctx: SubmitContext, body: RegistrationBody): Promise<Submitted> {
  const checked = await checkSubmission(body, { config: ctx.config, resolveHost: ctx.resolveHost });
  const profile = _profile(checked);
  if (ctx.config.registration.verifyOnSubmit) {
    if (ctx.verifyLogin === undefined) {
      throw new MailregError(
        "DEPENDENCY_MISSING",
        "Verify-on-submit is on but this server has no login check",
      );
    }
    await verifySubmission(
      ctx.verifyLogin,
      profile,
      checked.server,
      ctx.verifyTimeoutMs,
      undefined,
      networkPolicy(ctx.config),
    );
  }
  return await storeProfile(ctx, profile, checked.displayName);
}
