/**
 * Opening a sealed connection profile with the registry private key, and reading a sealed value's
 * key id and binding without opening it.
 *
 * @module
 */
import { type ConnectionProfile, ConnectionProfileSchema, MailregError } from "@mailreg/core";
import { compactDecrypt, decodeProtectedHeader } from "jose";
import { _parseJson } from "./_parse-json.ts";
import { CONTENT_ENC, KEY_ALG } from "./key.ts";
import type { Keyring } from "./keyring.ts";
import { HEADER_ADDRESS, HEADER_REGISTRATION_ID, PROFILE_CONTENT_TYPE, type SealBinding } from "./seal.ts";

/** What a sealed value's protected header says, read without decrypting. */
export interface SealedInfo extends SealBinding {
  /** The id of the key it is sealed to. */
  kid: string;
}

/**
 * Reads the key id and binding from a sealed value's protected header, without decrypting it
 * (for listing and rotation). The header is not authenticated until {@link open} succeeds.
 *
 * @param jwe the JWE compact string
 * @returns the key id, registration id and address
 * @throws {MailregError} SEAL_TAMPERED when it is not a sealed profile's JWE
 */
export function inspectSealed(jwe: string): SealedInfo {
  let header: Record<string, unknown>;
  try {
    if (typeof jwe !== "string" || jwe.split(".").length !== 5)
      throw new TypeError("not a JWE compact string");
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new MailregError("SEAL_TAMPERED", "The sealed profile is not a valid JWE");
  }
  const kid = header.kid;
  const registrationId = header[HEADER_REGISTRATION_ID];
  const address = header[HEADER_ADDRESS];
  if (
    header.alg !== KEY_ALG ||
    header.enc !== CONTENT_ENC ||
    header.cty !== PROFILE_CONTENT_TYPE ||
    typeof kid !== "string" ||
    typeof registrationId !== "string" ||
    typeof address !== "string"
  ) {
    throw new MailregError("SEAL_TAMPERED", "The sealed profile's header is not a mailreg profile header");
  }
  return { kid, registrationId, address };
}

/**
 * Opens a sealed connection profile with the private key its `kid` names, and checks that it
 * belongs to the expected registration.
 *
 * @param jwe the JWE compact string from {@link seal}
 * @param keyring the keys this process holds
 * @param expected the registration id and address the value must be bound to
 * @returns the connection profile
 * @throws {MailregError} SEAL_NO_PRIVATE_KEY when the keyring holds no private key;
 *   SEAL_TAMPERED when it is not a JWE or was altered; KEY_NOT_FOUND when its key is not held;
 *   SEAL_BINDING_MISMATCH when it belongs to another registration or address;
 *   SEAL_PROFILE_INVALID when the plaintext is not a connection profile
 * @example
 * ```ts
 * import { createKeyring, generateRegistryKey, importPrivateKey, importPublicKey, open, seal } from "@mailreg/crypto-registry";
 * const pair = await generateRegistryKey();
 * const keyring = createKeyring(await importPublicKey(pair.publicJwk), [await importPrivateKey(pair.privateJwk)]);
 * const address = "ann@example.org";
 * const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address };
 * const profile = { v: 1, address, protocol: "imap", host: "imap.example.org", port: 993, security: "tls",
 *   login: address, auth: { method: "password", password: "s3cret" } } as const;
 * const jwe = await seal(profile, keyring.publicKey, binding);
 * console.log((await open(jwe, keyring, binding)).host); // imap.example.org
 * ```
 */
export async function open(jwe: string, keyring: Keyring, expected: SealBinding): Promise<ConnectionProfile> {
  if (keyring.privateKeys.size === 0) {
    throw new MailregError("SEAL_NO_PRIVATE_KEY", "This process holds only the registry public key");
  }
  const info = inspectSealed(jwe);
  const key = keyring.privateKeys.get(info.kid);
  if (key === undefined) {
    throw new MailregError("KEY_NOT_FOUND", `No private key with id ${info.kid} is held`, {
      details: { kid: info.kid },
    });
  }
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [KEY_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENC],
    }));
  } catch (cause) {
    throw new MailregError("SEAL_TAMPERED", "The sealed profile does not decrypt: it was altered", { cause });
  }
  // The header is authenticated now: its binding can be trusted.
  for (const field of ["registrationId", "address"] as const) {
    if (info[field] !== expected[field]) {
      throw new MailregError(
        "SEAL_BINDING_MISMATCH",
        `The sealed profile belongs to another ${_NAMES[field]}`,
        {
          details: { field, kid: info.kid },
        },
      );
    }
  }
  const parsed = ConnectionProfileSchema.safeParse(_parseJson(new TextDecoder().decode(plaintext)));
  if (!parsed.success) {
    throw new MailregError("SEAL_PROFILE_INVALID", "The sealed plaintext is not a valid connection profile", {
      details: { fields: parsed.error.issues.map((i) => i.path.join(".")) },
    });
  }
  if (parsed.data.address !== expected.address) {
    throw new MailregError("SEAL_BINDING_MISMATCH", "The sealed profile is for another address", {
      details: { field: "address", kid: info.kid },
    });
  }
  return parsed.data;
}

const _NAMES = { registrationId: "registration", address: "address" } as const;
