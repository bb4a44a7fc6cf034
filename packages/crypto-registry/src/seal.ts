/**
 * Sealing a connection profile to the registry public key, bound to one registration.
 *
 * The result is a JWE compact string (ECDH-ES+A256KW, A256GCM) whose protected header carries the
 * key id, the content type `mailreg-profile+json` and the binding (`mailreg.rid`, `mailreg.addr`).
 * The protected header is the AEAD's additional data: changing it breaks decryption.
 *
 * @module
 */
import { type ConnectionProfile, ConnectionProfileSchema, MailregError } from "@mailreg/core";
import { CompactEncrypt } from "jose";
import { CONTENT_ENC, KEY_ALG, type RegistryPublicKey } from "./key.ts";

/** The registration a sealed profile belongs to. */
export interface SealBinding {
  /** The registration id. */
  registrationId: string;
  /** The registration's (normalised) SMTP address; must equal the profile's address. */
  address: string;
}

/** The JWE `cty` of a sealed connection profile. */
export const PROFILE_CONTENT_TYPE = "mailreg-profile+json";
/** Protected header parameter holding the registration id. */
export const HEADER_REGISTRATION_ID = "mailreg.rid";
/** Protected header parameter holding the SMTP address. */
export const HEADER_ADDRESS = "mailreg.addr";

/**
 * Seals a connection profile to a registry public key, bound to a registration id and address.
 *
 * @param profile the profile (validated; unknown properties are dropped)
 * @param publicKey the registry public key to seal to
 * @param binding the registration id and address the sealed value belongs to
 * @returns the JWE compact string
 * @throws {MailregError} VALIDATION when the profile or binding is not valid (details name the
 *   fields, never their values); SEAL_BINDING_MISMATCH when the profile's address is not the
 *   binding's address
 * @example
 * ```ts
 * import { generateRegistryKey, importPublicKey, seal } from "@mailreg/crypto-registry";
 * const key = await importPublicKey((await generateRegistryKey()).publicJwk);
 * const address = "ann@example.org";
 * const jwe = await seal(
 *   { v: 1, address, protocol: "imap", host: "imap.example.org", port: 993, security: "tls",
 *     login: address, auth: { method: "password", password: "s3cret" } },
 *   key,
 *   { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address },
 * );
 * ```
 */
export async function seal(
  profile: ConnectionProfile,
  publicKey: RegistryPublicKey,
  binding: SealBinding,
): Promise<string> {
  const parsed = ConnectionProfileSchema.safeParse(profile);
  if (!parsed.success) {
    throw new MailregError("VALIDATION", "The connection profile is not valid", {
      details: { fields: parsed.error.issues.map((i) => i.path.join(".")) },
    });
  }
  _checkBinding(binding);
  if (parsed.data.address !== binding.address) {
    throw new MailregError(
      "SEAL_BINDING_MISMATCH",
      "The profile's address is not the registration's address",
      {
        details: { registrationId: binding.registrationId },
      },
    );
  }
  return await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(parsed.data)))
    .setProtectedHeader({
      alg: KEY_ALG,
      enc: CONTENT_ENC,
      kid: publicKey.kid,
      cty: PROFILE_CONTENT_TYPE,
      [HEADER_REGISTRATION_ID]: binding.registrationId,
      [HEADER_ADDRESS]: binding.address,
    })
    .encrypt(publicKey.key);
}

function _checkBinding(binding: SealBinding): void {
  const fields = (["registrationId", "address"] as const).filter(
    (k) => typeof binding[k] !== "string" || binding[k].length === 0,
  );
  if (fields.length > 0) {
    throw new MailregError("VALIDATION", "The seal binding needs a registration id and an address", {
      details: { fields },
    });
  }
}
