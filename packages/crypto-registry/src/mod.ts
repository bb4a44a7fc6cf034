/**
 * Registry key pairs, sealing connection profiles to the registry public
 * key as JWE (ECDH-ES+A256KW, A256GCM) bound to their registration, opening them with the private
 * key, key files on disk, and key rotation with re-sealing.
 *
 * @module
 */
export {
  generateRegistryKey,
  importPrivateKey,
  importPublicKey,
  type RegistryKeyPair,
  type RegistryPrivateKey,
  type RegistryPublicKey,
} from "./key.ts";
export {
  type KeyFilesOptions,
  loadKeyring,
  loadPublicKey,
  type WriteKeyPairOptions,
  writeKeyPair,
} from "./key-files.ts";
export { createKeyring, type Keyring } from "./keyring.ts";
export { inspectSealed, open, type SealedInfo } from "./open.ts";
export {
  type ResealOne,
  type RotateKeysOptions,
  type RotateKeysResult,
  reseal,
  rotateKeys,
} from "./rotate.ts";
export { type SealBinding, seal } from "./seal.ts";
