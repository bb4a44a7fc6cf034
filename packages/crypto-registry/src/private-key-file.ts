/**
 * The content of a private key file: the plain private JWK, or, with a passphrase, an envelope
 * `{"format":"mailreg-private-key","version":1,"kid":"…","jwe":"<JWE compact>"}` whose JWE
 * (PBES2-HS512+A256KW, A256GCM) wraps that JWK. No file I/O here (see key-files.ts).
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from "jose";
import { _parseJson } from "./_parse-json.ts";
import { CONTENT_ENC, importPrivateKey, type RegistryKeyPair, type RegistryPrivateKey } from "./key.ts";

/** The `format` of a passphrase-protected private key file. */
export const PRIVATE_KEY_FORMAT = "mailreg-private-key";
/** The key management algorithm that wraps a private key under a passphrase. */
export const PASSPHRASE_ALG = "PBES2-HS512+A256KW";
/**
 * PBKDF2 iterations for new passphrase-protected files: ~0.4 s on a 2-core machine (2026); the
 * floor mailreg accepts for new files.
 */
export const PBES2_COUNT = 600_000;
/** Files asking for more iterations than this are refused (a crafted file must not stall us). */
export const PBES2_MAX_COUNT = 10_000_000;

const _encoder = new TextEncoder();

/**
 * Encodes a key pair's private JWK as the text of its key file.
 *
 * @param key the key pair
 * @param passphrase when given (non-empty), the JWK is wrapped in a PBES2 JWE
 * @returns the file's text (JSON, newline-terminated)
 * @throws {MailregError} KEY_PASSPHRASE when the passphrase is empty
 */
export async function encodePrivateKeyFile(key: RegistryKeyPair, passphrase?: string): Promise<string> {
  if (passphrase === undefined) return `${JSON.stringify(key.privateJwk)}\n`;
  if (passphrase.length === 0) throw new MailregError("KEY_PASSPHRASE", "The passphrase must not be empty");
  const jwe = await new CompactEncrypt(_encoder.encode(JSON.stringify(key.privateJwk)))
    .setProtectedHeader({ alg: PASSPHRASE_ALG, enc: CONTENT_ENC, cty: "jwk+json", kid: key.kid })
    .setKeyManagementParameters({ p2c: PBES2_COUNT })
    .encrypt(_encoder.encode(passphrase));
  return `${JSON.stringify({ format: PRIVATE_KEY_FORMAT, version: 1, kid: key.kid, jwe })}\n`;
}

/**
 * Decodes the text of a private key file and imports the key.
 *
 * @param text the file's text
 * @param name the file's name, for error messages (the contents are never quoted)
 * @param passphrase the passphrase, needed when the file is protected
 * @returns the private key and its id
 * @throws {MailregError} KEY_INVALID when the text is not a private key file;
 *   KEY_PASSPHRASE when the file is protected and the passphrase is missing or wrong
 */
export async function decodePrivateKeyFile(
  text: string,
  name: string,
  passphrase?: string,
): Promise<RegistryPrivateKey> {
  const invalid = (why: string) =>
    new MailregError("KEY_INVALID", `Private key file ${name} ${why}`, { details: { file: name } });
  const value = _parseJson(text);
  if (typeof value !== "object" || value === null) throw invalid("is not JSON");
  const envelope = value as Record<string, unknown>;
  let jwk: unknown = envelope;
  if (envelope.format === PRIVATE_KEY_FORMAT) {
    if (envelope.version !== 1 || typeof envelope.jwe !== "string" || !_isPbes2(envelope.jwe)) {
      throw invalid(`is not a valid ${PRIVATE_KEY_FORMAT} envelope`);
    }
    jwk = await _unwrap(envelope.jwe, name, passphrase);
  }
  let key: RegistryPrivateKey;
  try {
    key = await importPrivateKey(jwk);
  } catch (cause) {
    throw new MailregError("KEY_INVALID", `Private key file ${name} does not hold a registry private key`, {
      cause,
      details: { file: name },
    });
  }
  if (envelope.kid !== undefined && envelope.kid !== key.kid) {
    throw invalid("names another key id than the key it holds");
  }
  return key;
}

async function _unwrap(jwe: string, name: string, passphrase: string | undefined): Promise<unknown> {
  if (passphrase === undefined || passphrase.length === 0) {
    throw new MailregError("KEY_PASSPHRASE", `Private key file ${name} is protected by a passphrase`, {
      details: { file: name },
    });
  }
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, _encoder.encode(passphrase), {
      keyManagementAlgorithms: [PASSPHRASE_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENC],
      maxPBES2Count: PBES2_MAX_COUNT,
    }));
  } catch {
    throw new MailregError("KEY_PASSPHRASE", `The passphrase does not open private key file ${name}`, {
      details: { file: name },
    });
  }
  return _parseJson(new TextDecoder().decode(plaintext));
}

function _isPbes2(jwe: string): boolean {
  try {
    const header = decodeProtectedHeader(jwe);
    return header.alg === PASSPHRASE_ALG && typeof header.p2c === "number" && header.p2c <= PBES2_MAX_COUNT;
  } catch {
    return false;
  }
}
