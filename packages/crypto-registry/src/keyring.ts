/**
 * The keys one process holds: the current public key (what new values are sealed to) and the
 * private keys it may open with. A registration site holds no private key at all.
 *
 * @module
 */
import type { CryptoKey } from "jose";
import type { RegistryPrivateKey, RegistryPublicKey } from "./key.ts";

/** The keys one process holds. */
export interface Keyring {
  /** The current public key: new values are sealed to it. */
  readonly publicKey: RegistryPublicKey;
  /** Private keys by kid; empty in a process that holds only the public key. */
  readonly privateKeys: ReadonlyMap<string, CryptoKey>;
}

/**
 * Builds a keyring from imported keys.
 *
 * @param publicKey the current public key
 * @param privateKeys the private keys held (none for a registration site)
 * @returns the keyring
 * @example
 * ```ts
 * import { createKeyring, generateRegistryKey, importPublicKey } from "@mailreg/crypto-registry";
 * const { publicJwk } = await generateRegistryKey();
 * const keyring = createKeyring(await importPublicKey(publicJwk));
 * console.log(keyring.privateKeys.size); // 0
 * ```
 */
export function createKeyring(
  publicKey: RegistryPublicKey,
  privateKeys: readonly RegistryPrivateKey[] = [],
): Keyring {
  return { publicKey, privateKeys: new Map(privateKeys.map((k) => [k.kid, k.key])) };
}
