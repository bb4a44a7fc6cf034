/**
 * The registration record and the connection profile it seals (DESIGN §4).
 *
 * A registration is one JSON object. Its clear fields are for listing only; the whole connection
 * profile, secret included, lives only in `sealed` (a JWE compact string encrypted to the registry
 * public key, see `@mailreg/crypto-registry`). Applying opens the sealed profile and refuses a record
 * whose clear fields differ from it ({@link clearFieldsMismatch}).
 *
 * @module
 */
import { z } from "zod";
import { _safeString } from "./_zod.ts";
import { normalizeAddress } from "./address.ts";
import { isMailregError } from "./errors.ts";
import { ID_PATTERN } from "./ids.ts";

/**
 * A mail access protocol: the `kind` of a source in `@mailreg/imap-sync`'s `SOURCES` ("imap",
 * "pop3" …). core takes any lower-case slug; the apps check it against the registry.
 */
export const ProtocolSchema: z.ZodString = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, "must be a protocol name: a-z, 0-9 and inner '-'");
/** Connection security: implicit TLS, STARTTLS (required), or none. */
export const SECURITIES = ["tls", "starttls", "none"] as const;
/** How the owner authenticates: a password, or an OAuth 2.0 refresh token. */
export const AUTH_METHODS = ["password", "oauth2"] as const;
/** Where a registration stands. */
export const REGISTRATION_STATUSES = ["pending", "applied", "rejected"] as const;

/** A mail access protocol (a source's kind), e.g. "imap". */
export type Protocol = string;
export type Security = (typeof SECURITIES)[number];
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/** A host name or IP literal, without scheme or port. */
export const HostSchema: z.ZodString = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:\-[\]]+$/, "must be a host name or IP address");

/** A TCP port number, 1–65535. */
export const PortSchema: z.ZodNumber = z.number().int().min(1).max(65535);

/**
 * An SMTP address in normalised form (see `normalizeAddress`): a valid address that normalisation
 * leaves unchanged.
 */
export const AddressSchema: z.ZodString = z
  .string()
  .max(320)
  .superRefine((value, ctx) => {
    try {
      if (normalizeAddress(value) !== value) {
        ctx.addIssue({
          code: "custom",
          message: "must be in normalised form (trimmed, domain lower-case IDNA)",
        });
      }
    } catch (error) {
      if (!isMailregError(error, "ADDRESS_INVALID")) throw error;
      ctx.addIssue({
        code: "custom",
        message: `must be a valid address (${String(error.details?.reason)})`,
      });
    }
  });

/** The secret part of a profile. */
export const ProfileAuthSchema: z.ZodDiscriminatedUnion<
  [
    z.ZodObject<{ method: z.ZodLiteral<"password">; password: z.ZodString }, z.core.$strip>,
    z.ZodObject<
      {
        method: z.ZodLiteral<"oauth2">;
        provider: z.ZodString;
        refreshToken: z.ZodString;
        scope: z.ZodOptional<z.ZodString>;
      },
      z.core.$strip
    >,
  ],
  "method"
> = z.discriminatedUnion("method", [
  z.object({ method: z.literal("password"), password: z.string().min(1).max(1024) }),
  z.object({
    method: z.literal("oauth2"),
    provider: _safeString(64).min(1),
    refreshToken: z.string().min(1).max(8192),
    scope: _safeString(2048).optional(),
  }),
]);

/**
 * The plaintext of a sealed secret: everything needed to connect to the mailbox.
 * Never stored or logged in the clear.
 */
export const ConnectionProfileSchema: z.ZodObject<
  {
    v: z.ZodLiteral<1>;
    address: z.ZodString;
    protocol: z.ZodString;
    host: z.ZodString;
    port: z.ZodNumber;
    security: z.ZodEnum<{ none: "none"; starttls: "starttls"; tls: "tls" }>;
    login: z.ZodString;
    auth: typeof ProfileAuthSchema;
    template: z.ZodOptional<z.ZodString>;
  },
  z.core.$strip
> = z.object({
  v: z.literal(1),
  address: AddressSchema,
  protocol: ProtocolSchema,
  host: HostSchema,
  port: PortSchema,
  security: z.enum(SECURITIES),
  login: _safeString(320).min(1),
  auth: ProfileAuthSchema,
  template: _safeString(64).optional(),
});
export type ConnectionProfile = z.infer<typeof ConnectionProfileSchema>;

/** Who decided on a registration, when, and (for apply) into which instance. */
export const DecisionSchema: z.ZodObject<
  {
    by: z.ZodString;
    at: z.ZodISODateTime;
    instance: z.ZodOptional<z.ZodString>;
    reason: z.ZodOptional<z.ZodString>;
  },
  z.core.$strip
> = z.object({
  by: _safeString(200).min(1),
  at: z.iso.datetime({ offset: true }),
  instance: _safeString(64).optional(),
  reason: _safeString(1000).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** One registration, as the file format, the store and the API all carry it. */
export const RegistrationRecordSchema: z.ZodObject<
  {
    id: z.ZodString;
    receivedAt: z.ZodISODateTime;
    address: z.ZodString;
    displayName: z.ZodOptional<z.ZodString>;
    protocol: z.ZodString;
    template: z.ZodOptional<z.ZodString>;
    host: z.ZodString;
    port: z.ZodNumber;
    security: z.ZodEnum<{ none: "none"; starttls: "starttls"; tls: "tls" }>;
    login: z.ZodString;
    authMethod: z.ZodEnum<{ oauth2: "oauth2"; password: "password" }>;
    status: z.ZodEnum<{ applied: "applied"; pending: "pending"; rejected: "rejected" }>;
    decision: z.ZodOptional<typeof DecisionSchema>;
    keyId: z.ZodString;
    sealed: z.ZodString;
  },
  z.core.$strip
> = z.object({
  id: z.string().regex(ID_PATTERN, "must be a UUIDv7"),
  receivedAt: z.iso.datetime({ offset: true }),
  address: AddressSchema,
  displayName: _safeString(200).optional(),
  protocol: ProtocolSchema,
  template: _safeString(64).optional(),
  host: HostSchema,
  port: PortSchema,
  security: z.enum(SECURITIES),
  login: _safeString(320).min(1),
  authMethod: z.enum(AUTH_METHODS),
  status: z.enum(REGISTRATION_STATUSES),
  decision: DecisionSchema.optional(),
  keyId: z.string().min(1).max(128),
  sealed: z.string().min(1).max(65536),
});
export type RegistrationRecord = z.infer<typeof RegistrationRecordSchema>;

/** The clear fields that must agree with the sealed profile. */
export const BOUND_FIELDS = ["address", "protocol", "host", "port", "security", "login"] as const;

/**
 * The names of the clear fields of `record` that differ from `profile` (empty when they agree).
 * The auth method is compared too (`authMethod` vs `profile.auth.method`).
 *
 * @param record the registration's clear fields
 * @param profile the opened profile
 * @returns the differing field names
 */
export function clearFieldsMismatch(
  record: Pick<RegistrationRecord, (typeof BOUND_FIELDS)[number] | "authMethod">,
  profile: ConnectionProfile,
): string[] {
  const out: string[] = BOUND_FIELDS.filter((k) => record[k] !== profile[k]);
  if (record.authMethod !== profile.auth.method) out.push("authMethod");
  return out;
}
