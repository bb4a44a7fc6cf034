/**
 * The sending half of "check mailbox" (myfactory's "Postfachprüfung" with a test recipient): resolve
 * the mailbox's SMTP server through the precedence chain, log in with the credentials that level
 * uses, send a test mail to the given recipient, and report each step with its time.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import {
  checkSending,
  credentialsFor,
  resolveFromConfig,
  type SendingCheck,
  type SendingMailbox,
} from "@mailreg/smtp-resolver";
import type { Mailbox } from "@mailreg/store";

/**
 * Sends a test mail from `mailbox` to `to` through its resolved SMTP server.
 *
 * @param config the config (SMTP levels, templates, instances)
 * @param keyring opens the mailbox's sealed profile when its level logs in with the mailbox's password
 * @param mailbox the applied mailbox
 * @param to the test recipient
 * @returns every step, with time and reason
 */
export async function checkMailboxSending(
  config: Config,
  keyring: Keyring,
  mailbox: Mailbox,
  to: string,
): Promise<SendingCheck> {
  // a row of the store is a mailbox of smtp-resolver's ports (the assignment checks the shape)
  const sending: SendingMailbox = mailbox;
  const resolution = resolveFromConfig(config, sending);
  const profile = resolution.resolved
    ? await open(mailbox.sealed, keyring, {
        registrationId: mailbox.registrationId,
        address: mailbox.address,
      })
    : undefined;
  const credentials = resolution.resolved
    ? credentialsFor(resolution, { mailbox: sending, ...(profile === undefined ? {} : { profile }) })
    : ({ method: "none" } as const);
  return await checkSending({ resolution, credentials, from: mailbox.address, to });
}
