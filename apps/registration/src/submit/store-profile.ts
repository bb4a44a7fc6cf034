/**
 * The last step of every registration, whatever the owner signed in with: seal the whole connection
 * profile with the registry public key and store it as pending, its clear fields taken from it.
 *
 * @module
 */
import { type ConnectionProfile, newId, type RegistrationRecord } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import type { RegistrationWriter } from "./registration-writer.ts";

/** A stored registration's id and arrival time. */
export interface Submitted {
  id: string;
  receivedAt: string;
}

/**
 * Seals `profile` (bound to a new registration id and its address) and stores it as pending.
 *
 * @param ctx the keys (the public key is enough), the clock and the writer
 * @param profile the checked connection profile, secret included
 * @param displayName the owner's name, if given
 * @returns the new registration's id and arrival time
 */
export async function storeProfile(
  ctx: { keyring: Keyring; clock: () => Date; writeRegistration: RegistrationWriter },
  profile: ConnectionProfile,
  displayName?: string,
): Promise<Submitted> {
  const id = newId();
  const receivedAt = ctx.clock().toISOString();
  const sealed = await seal(profile, ctx.keyring.publicKey, { registrationId: id, address: profile.address });
  const { address, protocol, template, host, port, security, login } = profile;
  const record: RegistrationRecord = {
    id,
    receivedAt,
    address,
    ...(displayName === undefined ? {} : { displayName }),
    protocol,
    ...(template === undefined ? {} : { template }),
    host,
    port,
    security,
    login,
    authMethod: profile.auth.method,
    status: "pending",
    keyId: ctx.keyring.publicKey.kid,
    sealed,
  };
  await ctx.writeRegistration(record);
  return { id, receivedAt };
}
