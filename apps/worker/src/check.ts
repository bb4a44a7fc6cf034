/**
 * "Check mailbox" for an applied mailbox, with the connect options the worker would use: its
 * sealed profile opened in memory, its template's certificate policy and Sent/Trash names.
 *
 * @module
 */
import { open } from "@mailreg/crypto-registry";
import { type CheckResult, checkMailbox } from "@mailreg/imap-sync";
import type { Mailbox } from "@mailreg/store";
import type { WorkerDeps } from "./deps.ts";
import { connectOptionsFor, specialUseFor } from "./sync-options.ts";

/**
 * Reaches the mailbox's server, logs in, lists the folders with their special use, logs out — each
 * step timed, a failure with a reason. Never throws for a server's refusal.
 *
 * @param deps config, keyring (with the private key), extra certificates, timeout, OAuth tokens
 * @param mailbox the mailbox
 * @returns the steps and folders
 * @throws {MailregError} SEAL_NO_PRIVATE_KEY, KEY_NOT_FOUND, SEAL_* when the profile cannot be opened
 */
export async function checkMailboxOf(
  deps: Pick<WorkerDeps, "config" | "keyring" | "ca" | "timeoutMs" | "accessToken">,
  mailbox: Mailbox,
): Promise<CheckResult> {
  const profile = await open(mailbox.sealed, deps.keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  const connect = connectOptionsFor(deps.config, mailbox, {
    ...(deps.ca === undefined ? {} : { ca: deps.ca }),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
  });
  return await checkMailbox(profile, {
    ...connect,
    specialUse: specialUseFor(deps.config, mailbox),
    ...(profile.auth.method === "oauth2" && deps.accessToken !== undefined
      ? { accessToken: await deps.accessToken(profile, mailbox) }
      : {}),
  });
}
