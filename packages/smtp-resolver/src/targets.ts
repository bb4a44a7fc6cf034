/**
 * From a mailbox to a send target using the config: resolve the chain, get the mailbox's connection
 * profile only when the winner logs in with the mailbox's password, and build the credentials.
 *
 * @module
 */
import { type Config, type ConnectionProfile, MailregError } from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import { type AccessTokenSource, credentialsFor } from "./credentials.ts";
import type { SendingMailbox } from "./ports.ts";
import { requireResolved, resolveFromConfig, type SmtpSettingsInput } from "./resolve.ts";
import type { SendTarget } from "./sender.ts";

/** What {@link configTargets} needs. */
export interface ConfigTargetsOptions {
  config: Config;
  /**
   * Holds the private key that opens a mailbox's sealed profile (`mailbox.sealed`, bound to
   * `mailbox.registrationId`), where a level logs in with the mailbox's password.
   */
  keyring?: Keyring;
  /** The mailbox's connection profile, where a level logs in with its password; wins over `keyring`. */
  profileFor?: (mailbox: SendingMailbox) => Promise<ConnectionProfile>;
  /** Access tokens for XOAUTH2 mailboxes (e.g. `@mailreg/oauth`'s TokenManager). */
  getAccessToken?: AccessTokenSource;
  /** A mailbox's own SMTP settings, where it has any (default `mailbox.smtp`). */
  ownSettings?: (mailbox: SendingMailbox) => SmtpSettingsInput | undefined;
}

/**
 * A `targetFor` function for `deliverDue`: resolves each mailbox's SMTP server from the config and
 * gets its connection profile only when the password is needed.
 *
 * @param options config, profile source (keyring or `profileFor`), token source, own settings
 * @returns the lookup
 * @throws (from the lookup) MailregError SMTP_NOT_CONFIGURED when no level is usable;
 *   MAIL_AUTH_FAILED when the mailbox's password is needed and there is no way to get it; the
 *   crypto-registry's errors when the sealed profile cannot be opened
 * @example
 * ```ts
 * import { validateConfig } from "@mailreg/core";
 * import { configTargets } from "@mailreg/smtp-resolver";
 * const targetFor = configTargets({
 *   config: validateConfig({ smtp: { default: { host: "smtp.example.org", port: 587, auth: { method: "plain", user: "relay", password: "pw" } } } }),
 * });
 * const target = await targetFor({ id: "ann", address: "ann@example.org", instanceId: "sales", template: null, login: "ann", authMethod: "password" });
 * console.log(target.settings.host, target.credentials.method); // smtp.example.org plain
 * ```
 */
export function configTargets(
  options: ConfigTargetsOptions,
): (mailbox: SendingMailbox) => Promise<SendTarget> {
  return async (mailbox) => {
    const resolved = requireResolved(
      resolveFromConfig(options.config, mailbox, options.ownSettings?.(mailbox)),
    );
    const needsProfile =
      resolved.effective.auth.credentials === "mailbox" && resolved.effective.auth.method !== "xoauth2";
    const profile = needsProfile ? await _profile(mailbox, options) : undefined;
    const credentials = credentialsFor(resolved, {
      mailbox,
      ...(profile === undefined ? {} : { profile }),
      ...(options.getAccessToken === undefined ? {} : { getAccessToken: options.getAccessToken }),
    });
    return { settings: resolved.settings, credentials };
  };
}

async function _profile(mailbox: SendingMailbox, options: ConfigTargetsOptions): Promise<ConnectionProfile> {
  if (options.profileFor !== undefined) return await options.profileFor(mailbox);
  const { sealed, registrationId } = mailbox;
  if (options.keyring === undefined || sealed === undefined || registrationId === undefined) {
    throw new MailregError(
      "MAIL_AUTH_FAILED",
      `Sending for ${mailbox.address} needs the mailbox's password, and neither a profile source nor a keyring with its sealed profile is given`,
      { details: { mailboxId: mailbox.id } },
    );
  }
  return await open(sealed, options.keyring, { registrationId, address: mailbox.address });
}
