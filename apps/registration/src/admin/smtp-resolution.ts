/**
 * Which SMTP server an address sends through, and why: `@mailreg/smtp-resolver`'s precedence chain
 * (mailbox → company → instance → default) for the mailbox of the address, as the admin API returns
 * it and the mailbox page shows it — the same shape as `mailreg smtp resolve --json`, never a
 * level's password.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import {
  type MailboxDirectory,
  type ResolutionSummary,
  resolveForAddress,
  summarizeResolution,
} from "@mailreg/smtp-resolver";
import { type Store, storeMailboxDirectory } from "@mailreg/store";

/** The resolution of an address: its mailbox, the level that won, what was passed over, the warnings. */
export type SmtpResolutionView = ResolutionSummary & {
  /** The mailbox's (normalised) address. */
  address: string;
  /** The mailbox's id. */
  mailbox: string;
  /** The mailbox's instance. */
  instance: string;
};

/**
 * Resolves the SMTP settings of an address.
 *
 * @throws {MailregError} ADDRESS_INVALID; NOT_FOUND (no mailbox has it); CONFLICT (mailboxes in
 *   several instances and none named)
 */
export type ResolveSmtp = (address: string, options?: { instanceId?: string }) => Promise<SmtpResolutionView>;

/**
 * The resolver over the store's mailboxes and the config's levels.
 *
 * @param store the open store
 * @param config the config (templates, `smtp`, instances)
 * @returns the resolver
 * @example
 * ```ts ignore
 * const resolveSmtp = storeSmtpResolver(store, config);
 * const view = await resolveSmtp("ann@example.org");
 * console.log(view.level, view.passedOver.map((p) => p.reason), view.warnings);
 * ```
 */
export function storeSmtpResolver(store: Store, config: Config): ResolveSmtp {
  // the store's mailboxes as smtp-resolver's directory port (the assignment checks the shape)
  const directory: MailboxDirectory = storeMailboxDirectory(store);
  return async (address, options = {}) => {
    const resolution = await resolveForAddress(config, address, { ...options, directory });
    const { mailbox } = resolution;
    return {
      address: mailbox.address,
      mailbox: mailbox.id,
      instance: mailbox.instanceId,
      ...summarizeResolution(resolution),
    };
  };
}
