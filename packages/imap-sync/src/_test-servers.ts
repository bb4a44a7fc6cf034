/**
 * Test helpers (not built, not exported): fresh users on a real Dovecot and connection profiles
 * pointing at it.
 *
 * @module
 */
import { type ConnectionProfile, newId, type Protocol, type Security } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import { type TestKeyring, testKeyring } from "@mailreg/crypto-registry/testing";
import { attachDovecot, type DovecotInfo, type SeedTarget } from "@mailreg/mailservers";
import { type Mailbox, openStore, type Store, schema, upsertInstances } from "@mailreg/store";
import { openMemoryStore } from "@mailreg/store/testing";
import { eq } from "drizzle-orm";
import type { ConnectOptions } from "./connect-options.ts";

let _counter = 0;

/** A user of its own on `info`'s Dovecot, so test files never see each other's mail. */
export function freshUser(info: DovecotInfo, prefix = "is"): { user: string; password: string } {
  const user = `${prefix}-${process.pid}-${++_counter}-${Math.random().toString(36).slice(2, 7)}`;
  const password = `pw-${user}-secret`;
  attachDovecot(info).addUser(user, password);
  return { user, password };
}

/** The port of a protocol and security on `info`'s Dovecot. */
export function portOf(info: DovecotInfo, protocol: Protocol, security: Security): number {
  if (protocol === "imap") return security === "tls" ? info.imapsPort : info.imapPort;
  return security === "tls" ? info.pop3sPort : info.pop3Port;
}

/** A password profile for `user` on `info`'s Dovecot. */
export function profileFor(
  info: DovecotInfo,
  user: { user: string; password: string },
  protocol: Protocol = "imap",
  security: Security = "starttls",
): ConnectionProfile {
  return {
    v: 1,
    address: `${user.user}@example.test`,
    protocol,
    host: info.host,
    port: portOf(info, protocol, security),
    security,
    login: user.user,
    auth: { method: "password", password: user.password },
  };
}

/** Connect options trusting the test certificate. */
export function trustTest(info: DovecotInfo): ConnectOptions {
  return { tls: { ca: info.caPem, servername: info.servername }, timeoutMs: 5_000 };
}

/**
 * A store (in memory, or at `url`) with one instance, and a way to add mailboxes whose profiles are
 * really sealed.
 */
export async function testWorld(url?: string): Promise<{
  store: Store;
  keyring: TestKeyring;
  addMailbox(profile: ConnectionProfile, options?: { deleteAfterFetch?: boolean }): Promise<Mailbox>;
}> {
  const store = url === undefined ? await openMemoryStore() : await openStore({ url });
  const keyring = await testKeyring();
  await upsertInstances(store, [{ id: "test", label: "Test" }]);
  return {
    store,
    keyring,
    async addMailbox(profile, options = {}) {
      const registrationId = newId();
      const sealed = await seal(profile, keyring.publicKey, { registrationId, address: profile.address });
      const now = new Date().toISOString();
      const row: Mailbox = {
        id: newId(),
        instanceId: "test",
        address: profile.address,
        displayName: null,
        protocol: profile.protocol,
        template: null,
        host: profile.host,
        port: profile.port,
        security: profile.security,
        login: profile.login,
        authMethod: profile.auth.method,
        keyId: keyring.publicKey.kid,
        sealed,
        registrationId,
        autoFetch: true,
        intervalSeconds: null,
        deleteAfterFetch: options.deleteAfterFetch ?? false,
        createdAt: now,
        updatedAt: now,
        credentialsUpdatedAt: now,
      };
      await store.db.insert(schema.mailboxes).values(row).run();
      return row;
    },
  };
}

/** doveadm and the separator of a Dovecot, for seeding. */
export function seedTarget(info: DovecotInfo): SeedTarget {
  return { ...attachDovecot(info), separator: info.separator };
}

/** What the store holds for a mailbox: folder → sorted Message-IDs. */
export async function storedByFolder(store: Store, mailboxId: string): Promise<Map<string, string[]>> {
  const rows = await store.db
    .select({ folder: schema.messages.folder, messageId: schema.messages.messageId })
    .from(schema.messages)
    .where(eq(schema.messages.mailboxId, mailboxId))
    .all();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.folder, [...(out.get(r.folder) ?? []), r.messageId ?? ""]);
  for (const list of out.values()) list.sort();
  return out;
}
