/**
 * Key rotation: re-sealing values to a new key, and rotating the key files.
 *
 * @module
 */
import { type ConnectionProfile, MailregError } from "@mailreg/core";
import { generateRegistryKey, importPrivateKey, importPublicKey, type RegistryPublicKey } from "./key.ts";
import { type KeyFilesOptions, loadKeyring, retirePrivateKey, writeKeyPair } from "./key-files.ts";
import { createKeyring, type Keyring } from "./keyring.ts";
import { inspectSealed, open } from "./open.ts";
import { type SealBinding, seal } from "./seal.ts";

/**
 * Opens a sealed value with the keyring and seals it again to `newPublicKey`, with the same binding.
 *
 * @param jwe the sealed value
 * @param keyring keys that can open it
 * @param newPublicKey the key to seal to
 * @param binding the registration id and address it must be bound to
 * @returns the new JWE compact string
 * @throws {MailregError} any error of {@link open}
 */
export async function reseal(
  jwe: string,
  keyring: Keyring,
  newPublicKey: RegistryPublicKey,
  binding: SealBinding,
): Promise<string> {
  const profile: ConnectionProfile = await open(jwe, keyring, binding);
  return await seal(profile, newPublicKey, binding);
}

/**
 * Re-seals one stored value to the new key; given to the {@link RotateKeysOptions.reseal} callback.
 * A value already sealed to the new key is returned unchanged.
 */
export type ResealOne = (jwe: string, binding: SealBinding) => Promise<string>;

/** Options of {@link rotateKeys}. */
export interface RotateKeysOptions extends KeyFilesOptions {
  /**
   * Re-seals every stored value: walk the store, call `resealOne` for each sealed value and save
   * what it returns. Rotation retires the old keys only after this resolves.
   */
  reseal: (resealOne: ResealOne) => Promise<void>;
}

/** What {@link rotateKeys} did. */
export interface RotateKeysResult {
  /** The id of the key that was current before. */
  oldKid: string;
  /** The id of the new current key. */
  newKid: string;
  /** How many values were re-sealed to the new key. */
  resealed: number;
  /** The ids of the private keys moved to `privateKeyDir/retired/`. */
  retired: string[];
}

/**
 * Rotates the registry key: generates a new key pair and writes it (the new public key becomes
 * current; the old private keys stay, so both open), calls `options.reseal`, and only after it
 * succeeds moves every other private key to `privateKeyDir/retired/`. If the callback throws,
 * nothing is retired and old and new keys both keep working; the error is rethrown.
 *
 * @param options key file locations, passphrase (also protects the new private key) and callback
 * @returns old and new key ids, the re-sealed count and the retired key ids
 * @throws {MailregError} KEY_NOT_FOUND when the current key's private key is not held; any
 *   error of {@link loadKeyring}; whatever the callback throws
 * @example
 * ```ts
 * import { rotateKeys } from "@mailreg/crypto-registry";
 * const rows = new Map<string, { address: string; sealed: string }>(); // the caller's store
 * const result = await rotateKeys({
 *   publicKeyFile: "keys/registry.pub.jwk",
 *   privateKeyDir: "keys/private",
 *   reseal: async (resealOne) => {
 *     for (const [registrationId, row] of rows) {
 *       row.sealed = await resealOne(row.sealed, { registrationId, address: row.address });
 *     }
 *   },
 * });
 * console.log(`${result.oldKid} → ${result.newKid}: ${result.resealed} re-sealed`);
 * ```
 */
export async function rotateKeys(options: RotateKeysOptions): Promise<RotateKeysResult> {
  const before = await loadKeyring(options);
  const oldKid = before.publicKey.kid;
  if (!before.privateKeys.has(oldKid)) {
    throw new MailregError("KEY_NOT_FOUND", `The private key of the current key ${oldKid} is not held`, {
      details: { kid: oldKid },
    });
  }
  const next = await generateRegistryKey();
  const { publicKeyFile, privateKeyDir, passphrase } = options;
  await writeKeyPair(next, {
    publicKeyFile,
    privateKeyDir,
    ...(passphrase === undefined ? {} : { passphrase }),
    overwrite: true,
  });
  const newPublicKey = await importPublicKey(next.publicJwk);
  const both = createKeyring(newPublicKey, [
    ...[...before.privateKeys].map(([kid, key]) => ({ kid, key })),
    await importPrivateKey(next.privateJwk),
  ]);
  let resealed = 0;
  await options.reseal(async (jwe, binding) => {
    if (inspectSealed(jwe).kid === next.kid) return jwe;
    const out = await reseal(jwe, both, newPublicKey, binding);
    resealed++;
    return out;
  });
  const retired = [...before.privateKeys.keys()];
  for (const kid of retired) await retirePrivateKey(options.privateKeyDir, kid);
  return { oldKid, newKid: next.kid, resealed, retired };
}
