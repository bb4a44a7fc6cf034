/**
 * Resolving the SMTP chain for an address, as `mailreg smtp resolve ADDRESS` and the admin API do.
 *
 * @module
 */
import { type Config, MailregError, normalizeAddress } from "@mailreg/core";
import { findMailbox, listInstances, type Mailbox, type Store } from "@mailreg/store";
import { resolveFromConfig, type SmtpResolution, type SmtpSettingsInput } from "./resolve.ts";

/** A resolution with the mailbox it was made for. */
export type AddressResolution = SmtpResolution & { mailbox: Mailbox };

/**
 * Finds the mailbox of `address` (normalised first) and resolves its SMTP chain from the config.
 *
 * @param store the open store
 * @param config the config
 * @param address the SMTP address, in any case or Unicode form
 * @param options `instanceId` when the address has mailboxes in several instances; `own` settings
 * @returns the resolution and the mailbox
 * @throws {MailregError} ADDRESS_INVALID; NOT_FOUND when no mailbox has the address (in that
 *   instance); CONFLICT when several instances have one and none was named
 */
export async function resolveForAddress(
  store: Store,
  config: Config,
  address: string,
  options: { instanceId?: string; own?: SmtpSettingsInput } = {},
): Promise<AddressResolution> {
  const normalized = normalizeAddress(address);
  const instances =
    options.instanceId === undefined ? (await listInstances(store)).map((i) => i.id) : [options.instanceId];
  const found: Mailbox[] = [];
  for (const instanceId of instances) {
    const mailbox = await findMailbox(store, instanceId, normalized);
    if (mailbox !== undefined) found.push(mailbox);
  }
  const where = options.instanceId === undefined ? "" : ` in instance ${options.instanceId}`;
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
      {
        details: { address: normalized, instances },
      },
    );
  }
  const mailbox = found[0] as Mailbox;
  return { ...resolveFromConfig(config, mailbox, options.own), mailbox };
}
