/**
 * Accepting a registration: check it, optionally verify the login, seal the whole connection
 * profile with the registry public key, and store it as pending. The password goes nowhere else.
 *
 * @module
 */
import { type Config, type ConnectionProfile, MailregError, networkPolicy } from "@mailreg/core";
import type { Keyring } from "@mailreg/crypto-registry";
import { appendAudit, type Store } from "@mailreg/store";
import type { z } from "zod";
import type { ResolveHost, VerifyLogin } from "../deps.ts";
import { fieldErrorsOf, fieldsError } from "../http/field-errors.ts";
import type { SlidingWindow } from "../http/rate-limit.ts";
import { type CheckedRegistration, checkAddress, checkSubmission } from "./check-submission.ts";
import { issuesToFields, type RegistrationBody, RegistrationBodySchema } from "./registration-body.ts";
import type { RegistrationWriter } from "./registration-writer.ts";
import { type Submitted, storeProfile } from "./store-profile.ts";
import { verifyRefusalOf, verifySubmission } from "./verify-submission.ts";

/** Verify-on-submit limits besides the per-client one (`registration.verifyLimits`). */
export interface VerifyLimits {
  /** Attempts per normalised address. */
  address: SlidingWindow;
  /** Failed attempts per target server (`host:port`), from all clients. */
  serverFailures: SlidingWindow;
}

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
  /** Verify attempts per address and failures per server; without them only the per-client limit holds. */
  verifyLimits?: VerifyLimits | undefined;
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
    checkAddress(
      address,
      config.registration.allowedDomains,
      fields,
      config.registration.allowUnusualAddresses,
    );
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
 * @throws {MailregError} VALIDATION (details.fieldErrors), MAIL_SIGN_IN_FAILED (every verify failure,
 *   and with verify-on-submit a forbidden or unknown host), RATE_LIMITED (verify limits),
 *   DEPENDENCY_MISSING (verify-on-submit without a login check)
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
  let checked: CheckedRegistration;
  try {
    checked = await checkSubmission(body, { config: ctx.config, resolveHost: ctx.resolveHost });
  } catch (error) {
    throw await _hostRefusalAsSignIn(ctx, body, error);
  }
  const profile = _profile(checked);
  if (ctx.config.registration.verifyOnSubmit) {
    if (ctx.verifyLogin === undefined) {
      throw new MailregError(
        "DEPENDENCY_MISSING",
        "Verify-on-submit is on but this server has no login check",
      );
    }
    const server = `${checked.server.host.toLowerCase()}:${checked.server.port}`;
    const limits = ctx.verifyLimits;
    const wait =
      limits?.serverFailures.peek(server) || limits?.address.hit(checked.address.toLowerCase()) || 0;
    if (wait > 0) {
      throw new MailregError("RATE_LIMITED", `Too many sign-in attempts: try again in ${wait} s`, {
        details: { retryAfterSeconds: wait },
      });
    }
    try {
      await verifySubmission(
        ctx.verifyLogin,
        profile,
        checked.server,
        ctx.verifyTimeoutMs,
        undefined,
        networkPolicy(ctx.config),
      );
    } catch (error) {
      const refusal = verifyRefusalOf(error);
      if (refusal !== undefined) {
        limits?.serverFailures.hit(server);
        // the reason is for the administrator, never for the anonymous caller
        await appendAudit(ctx.store, {
          actor: "public",
          action: "registration.verify-refused",
          subjectType: "registration",
          details: {
            address: checked.address,
            server,
            ...(checked.server.template === undefined ? {} : { template: checked.server.template }),
            reason: refusal.reason,
            message: refusal.message,
          },
          at: ctx.clock(),
        });
      }
      throw error;
    }
  }
  return await storeProfile(ctx, profile, checked.displayName);
}

/**
 * With verify-on-submit on, a forbidden or unknown typed-in host answers exactly as a refused login
 * does (no oracle for internal names or for the policy): alone it becomes MAIL_SIGN_IN_FAILED, with
 * other problems it is left out; the administrator finds it in the audit log.
 */
async function _hostRefusalAsSignIn(
  ctx: SubmitContext,
  body: RegistrationBody,
  error: unknown,
): Promise<unknown> {
  const fields = fieldErrorsOf(error);
  if (!ctx.config.registration.verifyOnSubmit || fields?.["server.host"]?.code !== "host-not-allowed") {
    return error;
  }
  const { "server.host": _refused, ...others } = fields;
  if (Object.keys(others).length > 0) return fieldsError("VALIDATION", others);
  await appendAudit(ctx.store, {
    actor: "public",
    action: "registration.verify-refused",
    subjectType: "registration",
    details: {
      address: body.address,
      server: `${body.server?.host ?? ""}:${body.server?.port ?? ""}`,
      reason: "policy",
      message: "The network policy does not allow this server, or its name has no address",
    },
    at: ctx.clock(),
  });
  const refusal = fieldsError("MAIL_SIGN_IN_FAILED", { password: { code: "sign-in-failed" } });
  return new MailregError(refusal.code, "Signing in to the mail server did not work", {
    ...(refusal.details === undefined ? {} : { details: refusal.details }),
  });
}
