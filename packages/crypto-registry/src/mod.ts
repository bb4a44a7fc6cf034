/**
 * Registry key pairs, sealing connection profiles to the registry public
 * key as JWE (ECDH-ES+A256KW, A256GCM) bound to their registration, opening them with the private
 * key, key files on disk, and key rotation with re-sealing.
 *
 * @module
 */
export * from "./key.ts";
export * from "./key-files.ts";
export * from "./keyring.ts";
export * from "./open.ts";
export * from "./private-key-file.ts";
export * from "./rotate.ts";
export * from "./seal.ts";
