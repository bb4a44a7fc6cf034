/**
 * Helpers for tests of code that seals and opens profiles: in-memory keys (no files, no
 * passphrase stretching) and a valid connection profile.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import { generateRegistryKey, importPrivateKey, importPublicKey, type RegistryKeyPair } from "./key.ts";
import { createKeyring, type Keyring } from "./keyring.ts";

/** A keyring for tests, with the key pair it was made from. */
export interface TestKeyring extends Keyring {
  /** The generated key pair (JWKs), e.g. to write it to files or build other keyrings. */
  readonly pair: RegistryKeyPair;
}

/**
 * Generates a key pair in memory and returns a keyring holding its public key and, unless
 * `publicOnly`, its private key.
 *
 * @param options `publicOnly: true` gives a registration site's keyring (no private key)
 * @returns the keyring and its key pair
 * @example
 * ```ts
 * import { testKeyring } from "@mailreg/crypto-registry/testing";
 * const keyring = await testKeyring();
 * console.log(keyring.privateKeys.has(keyring.publicKey.kid)); // true
 * ```
 */
export async function testKeyring(options: { publicOnly?: boolean } = {}): Promise<TestKeyring> {
  const pair = await generateRegistryKey();
  const privateKeys = options.publicOnly === true ? [] : [await importPrivateKey(pair.privateJwk)];
  return { ...createKeyring(await importPublicKey(pair.publicJwk), privateKeys), pair };
}

/**
 * A valid password profile for `ann@example.org` on imap.example.org:993, with overrides.
 *
 * @param overrides properties to replace
 * @returns the profile
 */
export function testProfile(overrides: Partial<ConnectionProfile> = {}): ConnectionProfile {
  return {
    v: 1,
    address: "ann@example.org",
    protocol: "imap",
    host: "imap.example.org",
    port: 993,
    security: "tls",
    login: "ann@example.org",
    auth: { method: "password", password: "correct horse battery staple" },
    ...overrides,
  } as ConnectionProfile;
}
