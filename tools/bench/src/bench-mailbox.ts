/**
 * A mailbox row for a benchmark: the profile sealed to the keyring's public key, as an applied
 * registration would leave it, in instance "bench".
 *
 * @module
 */
import { addressKey, type ConnectionProfile, newId } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import { type Mailbox, type Store, schema, upsertInstances } from "@mailreg/store";

/**
 * Inserts a mailbox for `profile` (and the instance "bench" when missing).
 *
 * @param store the open store
 * @param keyring holds the public key the profile is sealed to
 * @param profile the connection profile
 * @returns the mailbox row
 */
export async function insertBenchMailbox(
  store: Store,
  keyring: Keyring,
  profile: ConnectionProfile,
): Promise<Mailbox> {
  await upsertInstances(store, [{ id: "bench", label: "Bench" }]);
  const registrationId = newId();
  const now = new Date().toISOString();
  const mailbox: Mailbox = {
    id: newId(),
    instanceId: "bench",
    address: profile.address,
    addressKey: addressKey(profile.address),
    displayName: null,
    protocol: profile.protocol,
    template: null,
    host: profile.host,
    port: profile.port,
    security: profile.security,
    login: profile.login,
    authMethod: "password",
    keyId: keyring.publicKey.kid,
    sealed: await seal(profile, keyring.publicKey, { registrationId, address: profile.address }),
    registrationId,
    autoFetch: true,
    intervalSeconds: null,
    deleteAfterFetch: false,
    createdAt: now,
    updatedAt: now,
    credentialsUpdatedAt: now,
  };
  await store.db.insert(schema.mailboxes).values(mailbox).run();
  return mailbox;
}
