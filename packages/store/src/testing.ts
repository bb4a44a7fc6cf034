/**
 * Helpers for tests of code that uses the store: an in-memory store and valid registration fixtures.
 * The sealed values are dummy strings, not JWEs: tests that open them need `@mailreg/crypto-registry`.
 *
 * @module
 */
import { type ConnectionProfile, newId, type RegistrationRecord } from "@mailreg/core";
import { upsertInstances } from "./instances.ts";
import * as schema from "./schema.ts";
import { openStore, type Store } from "./store.ts";

/**
 * A new, migrated, empty store in memory. It lives until closed, on one connection: a query made
 * while a transaction is open fails instead of waiting, so keep tests sequential.
 *
 * @returns the store
 * @example
 * ```ts
 * import { openMemoryStore } from "@mailreg/store/testing";
 * const store = await openMemoryStore();
 * store.close();
 * ```
 */
export function openMemoryStore(): Promise<Store> {
  return openStore({ url: "file::memory:" });
}

/**
 * A valid pending registration (IMAP over TLS, password auth, a fresh id from `newId()`, a unique address),
 * with `overrides` applied.
 *
 * @param overrides fields to set
 * @returns the record
 */
export function makeRegistration(overrides: Partial<RegistrationRecord> = {}): RegistrationRecord {
  const id = overrides.id ?? newId();
  const address = overrides.address ?? `user-${id.slice(-12)}@example.com`;
  return {
    id,
    receivedAt: new Date().toISOString(),
    address,
    protocol: "imap",
    host: "imap.example.com",
    port: 993,
    security: "tls",
    login: address,
    authMethod: "password",
    status: "pending",
    keyId: "test-key-1",
    sealed: `dummy-sealed.${id}`,
    ...overrides,
  };
}

/**
 * The connection profile that `record`'s sealed value would hold (clear fields equal), with a
 * dummy secret.
 *
 * @param record the registration
 * @param overrides fields to set (e.g. a different host to provoke a mismatch)
 * @returns the profile
 */
export function makeProfile(
  record: RegistrationRecord,
  overrides: Partial<ConnectionProfile> = {},
): ConnectionProfile {
  const profile: ConnectionProfile = {
    v: 1,
    address: record.address,
    protocol: record.protocol,
    host: record.host,
    port: record.port,
    security: record.security,
    login: record.login,
    auth:
      record.authMethod === "password"
        ? { method: "password", password: "dummy-password" }
        : { method: "oauth2", provider: "test", refreshToken: "dummy-refresh-token" },
  };
  if (record.template !== undefined) profile.template = record.template;
  return { ...profile, ...overrides };
}

/**
 * A bare mailbox row (IMAP over TLS, a dummy sealed value) in instance `instanceId`, created with the
 * instance if needed, for messages, leases and runs to belong to.
 *
 * @param store the open store
 * @param options the instance (default "i", with `instanceSettings`) and the creation time (default now)
 * @returns the new mailbox's id
 */
export async function insertTestMailbox(
  store: Store,
  options: { instanceId?: string; instanceSettings?: Record<string, unknown>; now?: Date } = {},
): Promise<string> {
  const instanceId = options.instanceId ?? "i";
  await upsertInstances(store, [
    { id: instanceId, label: instanceId, settings: options.instanceSettings ?? {} },
  ]);
  const id = newId();
  const now = (options.now ?? new Date()).toISOString();
  await store.db
    .insert(schema.mailboxes)
    .values({
      id,
      instanceId,
      address: "a@example.org",
      protocol: "imap",
      host: "h",
      port: 993,
      security: "tls",
      login: "a",
      authMethod: "password",
      keyId: "k",
      sealed: "s",
      registrationId: newId(),
      createdAt: now,
      updatedAt: now,
      credentialsUpdatedAt: now,
    })
    .run();
  return id;
}
