/**
 * Fakes for the unit tests of other packages: valid sample values built the way the real code
 * builds them. Import from `@mailreg/core/testing`.
 *
 * @module
 */
import { type Config, type ConfigInput, validateConfig } from "./config-schema.ts";
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
 * @returns the validated config
 * @throws {MailregError} CONFIG_INVALID when the overrides make it invalid
 */
export function sampleConfig(overrides: ConfigInput = {}): Config {
  return validateConfig({
    registration: { enabled: true, templates: ["example-imap"] },
    servers: [
      {
        id: "example-imap",
        label: "Example IMAP",
        protocol: "imap",
        host: "imap.example.com",
        security: "tls",
        smtp: { host: "smtp.example.com", port: 587, security: "starttls" },
      },
    ],
    instances: [{ id: "main", label: "Main" }],
    ...overrides,
  });
}
