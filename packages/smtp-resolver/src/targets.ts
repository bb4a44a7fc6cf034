/**
 * From a stored mailbox to a send target using the config: resolve the chain, open the mailbox's
 * sealed profile when the winner logs in with the mailbox's password, and build the credentials.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import type { Mailbox } from "@mailreg/store";
import { type AccessTokenSource, credentialsFor } from "./credentials.ts";
import { requireResolved, resolveFromConfig, type SmtpSettingsInput } from "./resolve.ts";
import type { SendTarget } from "./sender.ts";

/** What {@link configTargets} needs. */
export interface ConfigTargetsOptions {
  config: Config;
  /** Holds the private key that opens mailboxes' sealed profiles. */
  keyring: Keyring;
  /** Access tokens for XOAUTH2 mailboxes (e.g. `@mailreg/oauth`'s TokenManager). */
  getAccessToken?: AccessTokenSource;
  /** A mailbox's own SMTP settings, where it has any. */
  ownSettings?: (mailbox: Mailbox) => SmtpSettingsInput | undefined;
}

/**
 * A `targetFor` function for `deliverDue`: resolves each mailbox's SMTP server from the config and
 * opens its sealed profile only when the password is needed.
 *
 * @param options config, keyring, token source, own settings
 * @returns the lookup
 * @throws (from the lookup) MailregError SMTP_NOT_CONFIGURED when no level is usable; the
 *   crypto-registry's errors when the profile cannot be opened
 */
export function configTargets(options: ConfigTargetsOptions): (mailbox: Mailbox) => Promise<SendTarget> {
  return async (mailbox) => {
    const resolved = requireResolved(
      resolveFromConfig(options.config, mailbox, options.ownSettings?.(mailbox)),
    );
    const needsProfile =
      resolved.effective.auth.credentials === "mailbox" && resolved.effective.auth.method !== "xoauth2";
    const profile = needsProfile
      ? await open(mailbox.sealed, options.keyring, {
          registrationId: mailbox.registrationId,
          address: mailbox.address,
        })
      : undefined;
    const credentials = credentialsFor(resolved, {
      mailbox,
      ...(profile === undefined ? {} : { profile }),
      ...(options.getAccessToken === undefined ? {} : { getAccessToken: options.getAccessToken }),
    });
    return { settings: resolved.settings, credentials };
  };
}
