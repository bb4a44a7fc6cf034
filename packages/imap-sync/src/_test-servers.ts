/**
 * Test helpers (not built, not exported): fresh users on a real Dovecot, connection profiles
 * pointing at it, and a sync state in memory with mailboxes whose profiles are really sealed.
 *
 * @module
 */
import { type ConnectionProfile, newId, type Protocol, type Security } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import { type TestKeyring, testKeyring } from "@mailreg/crypto-registry/testing";
import { attachDovecot, type DovecotInfo, type SeedTarget } from "@mailreg/mailservers";
import type { ConnectOptions } from "./connect-options.ts";
import { createMemorySyncState, type MemorySyncState } from "./memory-sync-state.ts";
import type { MailboxRecord } from "./ports.ts";

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

/** A mailbox of the test world: sealed to the world's keyring, so the engine opens it as the worker does. */
export type TestMailbox = MailboxRecord & {
  sealed: string;
  registrationId: string;
  deleteAfterFetch: boolean;
};

/**
 * A sync state in memory that keeps the raw sources (so tests can read what was collected and
 * retry dead letters), a keyring, and a way to add mailboxes whose profiles are really sealed.
 */
export async function testWorld(options: { keepMessages?: boolean } = {}): Promise<{
  state: MemorySyncState;
  keyring: TestKeyring;
  addMailbox(profile: ConnectionProfile, options?: { deleteAfterFetch?: boolean }): Promise<TestMailbox>;
}> {
  const state = createMemorySyncState({ keepMessages: options.keepMessages ?? true });
  const keyring = await testKeyring();
  return {
    state,
    keyring,
    async addMailbox(profile, options = {}) {
      const registrationId = newId();
      const sealed = await seal(profile, keyring.publicKey, { registrationId, address: profile.address });
      return {
        id: newId(),
        instanceId: "test",
        address: profile.address,
        sealed,
        registrationId,
        deleteAfterFetch: options.deleteAfterFetch ?? false,
      };
    },
  };
}

/** doveadm and the separator of a Dovecot, for seeding. */
export function seedTarget(info: DovecotInfo): SeedTarget {
  return { ...attachDovecot(info), separator: info.separator };
}

/** What the state holds for a mailbox: folder → sorted Message-IDs. */
export function storedByFolder(state: MemorySyncState, mailboxId: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of state.messages(mailboxId)) {
    out.set(m.key.folder, [...(out.get(m.key.folder) ?? []), m.messageId ?? ""]);
  }
  for (const list of out.values()) list.sort();
  return out;
}
