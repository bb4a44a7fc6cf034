/**
 * "Check mailbox" and "sync now". A check opens the mailbox's sealed profile (private key needed)
 * and logs in to its server; "sync now" hands over to the worker. Both are audited.
 *
 * @module
 */
import { type Config, isMailregError, MailregError, networkPolicy } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import { appendAudit, getMailbox } from "@mailreg/store";
import type { CheckMailbox, CheckStep, VerifyLogin, VerifyLoginOptions } from "../deps.ts";
import { type AccessTokenContext, accessTokenFor } from "./mailbox-access-token.ts";

/** What the mailbox actions need. */
export interface MailboxActionContext extends AccessTokenContext {
  config: Config;
  verifyLogin: VerifyLogin | undefined;
  checkMailbox: CheckMailbox | undefined;
  verifyTimeoutMs: number;
  requestSync: ((mailboxId: string, actor: string) => Promise<void>) | undefined;
}

/** The outcome of a mailbox check. */
export interface MailboxCheck {
  mailboxId: string;
  address: string;
  steps: CheckStep[];
  ok: boolean;
}

/**
 * Logs in to a mailbox's server with its sealed credentials (an OAuth mailbox with a fresh access
 * token; `invalid_grant` fails the "oauth" step and marks it "must grant again").
 *
 * @param ctx config, store, keys, login check
 * @param input mailbox id and who asks
 * @returns each step and whether all worked
 * @throws {MailregError} NOT_FOUND, SEAL_NO_PRIVATE_KEY, KEY_NOT_FOUND, DEPENDENCY_MISSING
 */
export async function checkMailbox(
  ctx: MailboxActionContext,
  input: { id: string; actor: string },
): Promise<MailboxCheck> {
  const mailbox = await getMailbox(ctx.store, input.id);
  const { checkMailbox: check, verifyLogin } = ctx;
  if (check === undefined && verifyLogin === undefined) {
    throw new MailregError("DEPENDENCY_MISSING", "This server has no mail check to check mailboxes with");
  }
  const profile = await open(mailbox.sealed, ctx.keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  const template = ctx.config.servers.find((s) => s.id === mailbox.template);
  const options: VerifyLoginOptions = {
    timeoutMs: ctx.verifyTimeoutMs,
    tls: template?.tls ?? { verify: true },
    policy: networkPolicy(ctx.config),
  };
  let result: { ok: boolean; steps: CheckStep[] };
  try {
    if (profile.auth.method === "oauth2") options.accessToken = await accessTokenFor(ctx, mailbox, profile);
    result =
      check !== undefined ? await check(profile, options) : await _loginOnly(verifyLogin!, profile, options);
  } catch (error) {
    if (!isMailregError(error) || !error.code.startsWith("OAUTH_")) throw error;
    const step: CheckStep = {
      step: "oauth",
      ok: false,
      reason: error.code === "OAUTH_INVALID_GRANT" ? "auth" : "unreachable",
      message: error.message,
    };
    result = { ok: false, steps: [step] };
  }
  const failed = result.steps.find((s) => !s.ok);
  await appendAudit(ctx.store, {
    actor: input.actor,
    action: "mailbox.check",
    subjectType: "mailbox",
    subjectId: mailbox.id,
    details: result.ok
      ? { ok: true }
      : { ok: false, step: failed?.step ?? null, reason: failed?.reason ?? null },
    at: ctx.clock(),
  });
  return { mailboxId: mailbox.id, address: mailbox.address, steps: result.steps, ok: result.ok };
}

async function _loginOnly(
  verifyLogin: VerifyLogin,
  ...args: Parameters<VerifyLogin>
): Promise<{ ok: boolean; steps: CheckStep[] }> {
  const result = await verifyLogin(...args);
  const step: CheckStep = result.ok
    ? { step: "login", ok: true }
    : { step: "login", ok: false, reason: result.reason, message: result.message };
  return { ok: result.ok, steps: [step] };
}

/**
 * Asks the worker to collect a mailbox now.
 *
 * @param ctx store and the worker's hand-over
 * @param input mailbox id and who asks
 * @returns the mailbox's id and address
 * @throws {MailregError} NOT_FOUND, DEPENDENCY_MISSING (no worker connected to this app)
 */
export async function requestMailboxSync(
  ctx: MailboxActionContext,
  input: { id: string; actor: string },
): Promise<{ mailboxId: string; address: string }> {
  const mailbox = await getMailbox(ctx.store, input.id);
  if (ctx.requestSync === undefined) {
    throw new MailregError("DEPENDENCY_MISSING", "No worker is connected to this server to collect mail now");
  }
  await ctx.requestSync(mailbox.id, input.actor);
  await appendAudit(ctx.store, {
    actor: input.actor,
    action: "mailbox.sync-request",
    subjectType: "mailbox",
    subjectId: mailbox.id,
    at: ctx.clock(),
  });
  return { mailboxId: mailbox.id, address: mailbox.address };
}
