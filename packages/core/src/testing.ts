/**
 * Fakes for the unit tests of other packages: valid sample values built the way the real code
 * builds them. Import from `@mailreg/core/testing`.
 *
 * @module
 */
import { type Config, type ConfigInput, validateConfig } from "./config-schema.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { type ErrorCode, MailregError } from "./errors.ts";
import { newId } from "./ids.ts";
import type { RegistrationRecord } from "./registration.ts";

/** A syntactically JWE-compact-shaped placeholder; it opens with no key. */
export const DUMMY_SEALED =
  "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoidGVzdC1rZXkifQ.ZHVtbXk.ZHVtbXk.ZHVtbXk.ZHVtbXk";

/**
 * A valid pending registration for `alice@example.com` on `imap.example.com:993` (TLS), with a fresh
 * id, received now, sealed to key `test-key` with {@link DUMMY_SEALED}.
 *
 * @param overrides fields to replace
 * @returns the record (not re-validated: overrides may make it invalid on purpose)
 * @example
 * ```ts
 * import { sampleRegistration } from "@mailreg/core/testing";
 * const record = sampleRegistration({ address: "bob@example.org" });
 * ```
 */
export function sampleRegistration(overrides: Partial<RegistrationRecord> = {}): RegistrationRecord {
  return {
    id: newId(),
    receivedAt: new Date().toISOString(),
    address: "alice@example.com",
    displayName: "Alice Example",
    protocol: "imap",
    template: "example-imap",
    host: "imap.example.com",
    port: 993,
    security: "tls",
    login: "alice",
    authMethod: "password",
    status: "pending",
    keyId: "test-key",
    sealed: DUMMY_SEALED,
    ...overrides,
  };
}

/**
 * A valid config with one IMAP server template (`example-imap`), one instance (`main`), an open
 * registration offering that template, and defaults elsewhere.
 *
 * @param overrides top-level sections to replace (as a config file would hold them)
 * @param connectors the registries to validate against (as the apps do); omitted: generic shapes only
 * @returns the validated config
 * @throws {MailregError} CONFIG_INVALID when the overrides make it invalid
 */
export function sampleConfig(overrides: ConfigInput = {}, connectors?: ConnectorRegistries): Config {
  return validateConfig(
    {
      registration: { enabled: true, templates: ["example-imap"] },
      servers: [
        {
          id: "example-imap",
          label: "Example IMAP",
          protocol: "imap",
          host: "imap.example.com",
          port: 993,
          security: "tls",
          smtp: { host: "smtp.example.com", port: 587, security: "starttls" },
        },
      ],
      instances: [{ id: "main", label: "Main" }],
      ...overrides,
    },
    connectors,
  );
}

/**
 * Awaits `promise` and expects it to reject with a {@link MailregError} of `code`. Works in any test
 * runner: anything else throws a plain Error, which the runner reports as the failure.
 *
 * @param promise what should fail
 * @param code the expected error code
 * @returns the error, for further checks
 * @example
 * ```ts
 * import { MailregError } from "@mailreg/core";
 * import { expectMailregError } from "@mailreg/core/testing";
 * const error = await expectMailregError(Promise.reject(new MailregError("NOT_FOUND", "gone")), "NOT_FOUND");
 * console.log(error.message); // gone
 * ```
 */
export async function expectMailregError(promise: Promise<unknown>, code: ErrorCode): Promise<MailregError> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error(`Expected a rejection with ${code}, but it resolved`);
  const { error } = outcome;
  if (!(error instanceof MailregError)) {
    throw new Error(`Expected a MailregError ${code}, got ${String(error)}`, { cause: error });
  }
  if (error.code !== code) {
    throw new Error(`Expected a MailregError ${code}, got ${error.code}: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * Expects none of `secrets` anywhere in an error: its message, stack and JSON, and every own
 * property (details, cause …) down to ten levels. Throws a plain Error naming which secret (by
 * position, never its text) showed where.
 *
 * @param error the error (or any value)
 * @param secrets the texts that must not appear
 * @example
 * ```ts
 * import { MailregError } from "@mailreg/core";
 * import { expectNoSecret } from "@mailreg/core/testing";
 * expectNoSecret(new MailregError("MAIL_AUTH_FAILED", "Login refused"), "hunter2");
 * ```
 */
export function expectNoSecret(error: unknown, ...secrets: string[]): void {
  const texts = _texts(error, 0, new Set());
  secrets.forEach((secret, index) => {
    const where = texts.find((text) => text.includes(secret));
    if (where !== undefined) {
      throw new Error(`Secret #${index + 1} appears in the error (in ${where.split(secret).join("***")})`);
    }
  });
}

/** Every text an error shows: message, stack, JSON and own properties, recursively. */
function _texts(value: unknown, depth: number, seen: Set<unknown>): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return typeof value === "function" ? [] : [String(value)];
  if (depth > 10 || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  if (value instanceof Error) out.push(value.name, value.message, value.stack ?? "");
  try {
    out.push(JSON.stringify(value) ?? "");
  } catch {
    // a cycle or a BigInt: the properties below still show what it holds
  }
  const nested = value instanceof Map || value instanceof Set ? [...value] : [];
  for (const key of Reflect.ownKeys(value)) {
    try {
      nested.push((value as Record<PropertyKey, unknown>)[key]);
    } catch {
      // a getter that throws shows nothing
    }
  }
  for (const item of nested) out.push(..._texts(item, depth + 1, seen));
  return out;
}
