/**
 * Registry key pairs: generating them, and importing their JWKs as Web Crypto keys.
 *
 * A registry key is a P-256 key for ECDH-ES+A256KW (content: A256GCM). Its id (`kid`) is the
 * RFC 7638 thumbprint of the public key, so an id always names exactly one key.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
// jose's CryptoKey is the runtime's Web Crypto key, so the declarations need no DOM lib
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";

/** The JWE key management algorithm of every registry key. */
export const KEY_ALG = "ECDH-ES+A256KW";
/** The JWE content encryption algorithm used with registry keys. */
export const CONTENT_ENC = "A256GCM";
const _CURVE = "P-256";

/** A freshly generated registry key pair, as JWKs (both carry `kid`, `alg` and `use`). */
export interface RegistryKeyPair {
  /** The key id: base64url SHA-256 JWK thumbprint (RFC 7638) of the public key. */
  kid: string;
  /** The public JWK: all a registration site needs. */
  publicJwk: JWK;
  /** The private JWK: only the admin side and the worker hold it. */
  privateJwk: JWK;
}

/** A public registry key, ready to seal to. */
export interface RegistryPublicKey {
  /** The key id (JWK thumbprint). */
  readonly kid: string;
  /** The Web Crypto public key. */
  readonly key: CryptoKey;
}

/** A private registry key, ready to open with. */
export interface RegistryPrivateKey {
  /** The key id (JWK thumbprint of its public part). */
  readonly kid: string;
  /** The Web Crypto private key (not extractable). */
  readonly key: CryptoKey;
}

/**
 * Generates a new registry key pair.
 *
 * @returns the key id and both JWKs
 * @example
 * ```ts
 * import { generateRegistryKey } from "@mailreg/crypto-registry";
 * const { kid, publicJwk } = await generateRegistryKey();
 * console.log(kid === publicJwk.kid); // true
 * ```
 */
export async function generateRegistryKey(): Promise<RegistryKeyPair> {
  const pair = await generateKeyPair(KEY_ALG, { crv: _CURVE, extractable: true });
  const pub = await exportJWK(pair.publicKey);
  const priv = await exportJWK(pair.privateKey);
  const kid = await calculateJwkThumbprint(pub, "sha256");
  const meta = { kid, alg: KEY_ALG, use: "enc" };
  return { kid, publicJwk: { ...pub, ...meta }, privateJwk: { ...priv, ...meta } };
}

/**
 * Imports a public registry JWK, checking that it is a P-256 ECDH-ES+A256KW key whose `kid`
 * (when present) is its thumbprint.
 *
 * @param jwk the public JWK (a private JWK is accepted; only its public part is used)
 * @returns the key and its id
 * @throws {MailregError} KEY_INVALID when the JWK is not such a key
 */
export async function importPublicKey(jwk: unknown): Promise<RegistryPublicKey> {
  const { kid, x, y } = await _checkJwk(jwk, false);
  return { kid, key: await _import({ kty: "EC", crv: _CURVE, x, y }, true) };
}

/**
 * Imports a private registry JWK as a non-extractable key, with the same checks as
 * {@link importPublicKey}.
 *
 * @param jwk the private JWK
 * @returns the key and its id
 * @throws {MailregError} KEY_INVALID when the JWK is not such a private key
 */
export async function importPrivateKey(jwk: unknown): Promise<RegistryPrivateKey> {
  const { kid, x, y, d } = await _checkJwk(jwk, true);
  return { kid, key: await _import({ kty: "EC", crv: _CURVE, x, y, d }, false) };
}

async function _import(jwk: JWK, extractable: boolean): Promise<CryptoKey> {
  try {
    const key = await importJWK(jwk, KEY_ALG, { extractable });
    if (key instanceof Uint8Array) throw new TypeError("not an asymmetric key");
    return key;
  } catch {
    // The library's error may quote the key; it is not kept as the cause.
    throw new MailregError("KEY_INVALID", "The JWK is not a usable P-256 key");
  }
}

/** Checks a registry JWK's shape and kid; answers its id and coordinates (`d` only if private). */
async function _checkJwk(
  value: unknown,
  isPrivate: boolean,
): Promise<{ kid: string; x: string; y: string; d: string }> {
  const what = isPrivate ? "private" : "public";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MailregError("KEY_INVALID", `The ${what} JWK is not a JSON object`);
  }
  const jwk = value as JWK;
  const wrong =
    jwk.kty !== "EC" ||
    jwk.crv !== _CURVE ||
    typeof jwk.x !== "string" ||
    typeof jwk.y !== "string" ||
    (isPrivate && typeof jwk.d !== "string") ||
    (jwk.alg !== undefined && jwk.alg !== KEY_ALG) ||
    (jwk.use !== undefined && jwk.use !== "enc");
  if (wrong) {
    throw new MailregError("KEY_INVALID", `The ${what} JWK is not a P-256 ${KEY_ALG} key`);
  }
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new MailregError("KEY_INVALID", `The ${what} JWK's kid is not its thumbprint`, {
      details: { kid: jwk.kid },
    });
  }
  return { kid, x: jwk.x as string, y: jwk.y as string, d: isPrivate ? (jwk.d as string) : "" };
}
