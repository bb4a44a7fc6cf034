/**
 * Resolving the SMTP chain for an address, as `mailreg smtp resolve ADDRESS` and the admin API do:
 * from a config alone (company → instance → default), or with a {@link MailboxDirectory} that knows
 * the address's mailbox (its own settings and server template first).
 *
 * @module
 */
import { type Config, MailregError, normalizeAddress } from "@mailreg/core";
import type { MailboxDirectory, SendingMailbox } from "./ports.ts";
import type { SmtpResolution } from "./resolve.ts";
import { type ResolveInput, resolve, resolveFromConfig, type SmtpSettingsInput } from "./resolve.ts";

/** Options of {@link resolveForAddress}. */
export interface AddressResolveOptions {
  /** Where the address's mailbox is looked up; without one, only the config's levels are tried. */
  directory?: MailboxDirectory;
  /** The instance: whose `smtp` is the instance level, and where the directory looks. */
  instanceId?: string;
  /** Own SMTP settings for the address (level `mailbox`); they win over a mailbox's `smtp`. */
  own?: SmtpSettingsInput;
}

/** A resolution for an address, with its mailbox when a directory had one. */
export type AddressResolution = SmtpResolution & {
  /** The normalised address. */
  address: string;
  /** The mailbox of the address (only when resolved through a directory). */
  mailbox?: SendingMailbox;
};

/** A resolution made through a directory: the mailbox is always there. */
export type MailboxResolution = SmtpResolution & { address: string; mailbox: SendingMailbox };

/**
 * Resolves the SMTP chain for `address` (normalised first).
 *
 * With a `directory`, the address's mailbox is looked up (in `instanceId`, or in every instance)
 * and its chain resolved from the config: its own settings, its server template's SMTP counterpart,
 * `smtp.company`, its instance's `smtp`, `smtp.default`. Without one, no mailbox is involved: `own`,
 * `smtp.company`, the `smtp` of instance `instanceId` (if named) and `smtp.default` are tried; a
 * level that would log in with the mailbox's own credentials is passed over (missing-credentials).
 *
 * @param config the config
 * @param address the SMTP address, in any case or Unicode form
 * @param options the directory, the instance, own settings
 * @returns the resolution, the normalised address and, through a directory, the mailbox
 * @throws {MailregError} ADDRESS_INVALID; with a directory: NOT_FOUND when no mailbox has the
 *   address (in that instance), CONFLICT when several instances have one and none was named
 * @example
 * ```ts
 * import { validateConfig } from "@mailreg/core";
 * import { resolveForAddress } from "@mailreg/smtp-resolver";
 * const config = validateConfig({
 *   instances: [{ id: "sales", label: "Sales" }],
 *   smtp: { default: { host: "smtp.example.org", port: 587, auth: { method: "plain", user: "relay", password: "pw" } } },
 * });
 * const r = await resolveForAddress(config, "Ann@Example.org", { instanceId: "sales" });
 * console.log(r.address, r.resolved && r.level); // Ann@example.org default
 * ```
 */
export async function resolveForAddress(
  config: Config,
  address: string,
  options: AddressResolveOptions & { directory: MailboxDirectory },
): Promise<MailboxResolution>;
export async function resolveForAddress(
  config: Config,
  address: string,
  options?: AddressResolveOptions,
): Promise<AddressResolution>;
export async function resolveForAddress(
  config: Config,
  address: string,
  options: AddressResolveOptions = {},
): Promise<AddressResolution> {
  const normalized = normalizeAddress(address);
  const { directory, instanceId, own } = options;
  if (directory === undefined) {
    const input: ResolveInput = {};
    if (own !== undefined) input.own = own;
    if (config.smtp.company !== undefined) input.company = config.smtp.company;
    if (instanceId !== undefined) {
      const instance = config.instances.find((i) => i.id === instanceId);
      input.instance = instance === undefined ? { id: instanceId, missing: true } : instance;
    }
    if (config.smtp.default !== undefined) input.default = config.smtp.default;
    return { ...resolve(input), address: normalized };
  }
  const found = await directory.findByAddress(normalized, instanceId === undefined ? {} : { instanceId });
  const where = instanceId === undefined ? "" : ` in instance ${instanceId}`;
  if (found.length === 0) {
    throw new MailregError("NOT_FOUND", `No mailbox has the address ${normalized}${where}`, {
      details: { address: normalized },
    });
  }
  if (found.length > 1) {
    const instances = found.map((m) => m.instanceId);
    throw new MailregError(
      "CONFLICT",
      `${normalized} has a mailbox in several instances (${instances.join(", ")}): name one`,
      { details: { address: normalized, instances } },
    );
  }
  const mailbox = found[0] as SendingMailbox;
  return { ...resolveFromConfig(config, mailbox, own), address: normalized, mailbox };
}
