/**
 * Applying and rejecting registrations, for the admin API and the admin pages alike. Applying opens
 * the sealed profile with the registry private key: a site holding only the public key refuses
 * with SEAL_NO_PRIVATE_KEY.
 *
 * @module
 */
import { type Config, MailregError, type RegistrationRecord } from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import {
  type ApplyRegistrationResult,
  applyRegistration,
  getRegistration,
  rejectRegistration,
  type Store,
} from "@mailreg/store";
import { fieldsError } from "../http/field-errors.ts";

/** What deciding needs. */
export interface DecideContext {
  config: Config;
  store: Store;
  keyring: Keyring;
  clock: () => Date;
}

/**
 * The instance to apply into: the one named, or the only one configured.
 *
 * @param config the config
 * @param instance the instance named, if any
 * @returns the instance id
 * @throws {MailregError} VALIDATION (field instance) when none is named and there are several
 */
export function chooseInstance(config: Config, instance: string | undefined): string {
  if (instance !== undefined && instance !== "") return instance;
  const only = config.instances.length === 1 ? config.instances[0]?.id : undefined;
  if (only === undefined) throw fieldsError("VALIDATION", { instance: { code: "required" } });
  return only;
}

/**
 * Applies a pending registration into an instance: a new mailbox, or — only with `replace` — the
 * instance's mailbox of the same address gets the new login, server and credentials.
 *
 * @param ctx config, store, keys, clock
 * @param input registration id, instance (default: the only one), who
 * @returns the mailbox and whether it was created
 * @throws {MailregError} NOT_FOUND, REGISTRATION_NOT_PENDING, SEAL_NO_PRIVATE_KEY, KEY_NOT_FOUND,
 *   SEAL_TAMPERED, SEAL_BINDING_MISMATCH, INSTANCE_UNKNOWN, PROFILE_MISMATCH, VALIDATION; CONFLICT
 *   (details.changes) when the address has a mailbox and `replace` is not set
 */
export async function applyOne(
  ctx: DecideContext,
  input: { id: string; instance?: string | undefined; actor: string; replace?: boolean | undefined },
): Promise<ApplyRegistrationResult & { registration: RegistrationRecord }> {
  const instanceId = chooseInstance(ctx.config, input.instance);
  const record = await getRegistration(ctx.store, input.id);
  if (record.status !== "pending") {
    throw new MailregError(
      "REGISTRATION_NOT_PENDING",
      `Registration ${record.id} is already ${record.status}`,
      {
        details: { id: record.id, status: record.status },
      },
    );
  }
  const profile = await open(record.sealed, ctx.keyring, {
    registrationId: record.id,
    address: record.address,
  });
  const result = await applyRegistration(ctx.store, {
    id: record.id,
    instanceId,
    actor: input.actor,
    profile,
    now: ctx.clock(),
    replace: input.replace === true,
  });
  return { ...result, registration: await getRegistration(ctx.store, record.id) };
}

/**
 * Rejects a pending registration.
 *
 * @param ctx store and clock
 * @param input registration id, who, optional reason
 * @returns the registration as it is now
 * @throws {MailregError} NOT_FOUND, REGISTRATION_NOT_PENDING, VALIDATION
 */
export async function rejectOne(
  ctx: Pick<DecideContext, "store" | "clock">,
  input: { id: string; actor: string; reason?: string | undefined },
): Promise<RegistrationRecord> {
  return await rejectRegistration(ctx.store, {
    id: input.id,
    actor: input.actor,
    now: ctx.clock(),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
  });
}
