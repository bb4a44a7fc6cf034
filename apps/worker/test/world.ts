/**
 * Test helpers (not built): a mailreg folder (config, keys, database) pointing at the test Dovecot,
 * fresh Dovecot users, mailboxes applied from really sealed registrations, and the store compared
 * with what was delivered.
 *
 * @module
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, type ConfigInput, type ConnectionProfile, loadConfig, newId } from "@mailreg/core";
import {
  generateRegistryKey,
  type Keyring,
  loadKeyring,
  type RegistryPublicKey,
  seal,
  writeKeyPair,
} from "@mailreg/crypto-registry";
import { contentHash } from "@mailreg/imap-sync";
import {
  attachDovecot,
  type DovecotInfo,
  type GeneratedMessage,
  type SeedTarget,
} from "@mailreg/mailservers";
import {
  applyRegistration,
  insertRegistration,
  type Mailbox,
  mirrorConfig,
  openStore,
  type Store,
  schema,
  setMailboxSchedule,
} from "@mailreg/store";
import { eq } from "drizzle-orm";
import { CONNECTORS } from "../src/connectors.ts";

/** The template id the test config gives the Dovecot server. */
export const TEMPLATE = "dovecot";
/** The instance mailboxes are applied to. */
export const INSTANCE = "test";

/** A mailreg folder: config file, keys, database. */
export interface TestFolder {
  dir: string;
  configPath: string;
  config: Config;
  keyring: Keyring;
}

/**
 * Writes a folder whose config has the Dovecot as template `dovecot` (IMAP STARTTLS, certificate
 * checked against "localhost"; trust its CA with `ca` or NODE_EXTRA_CA_CERTS), one instance
 * `test` (INBOX only), and `worker` as given.
 */
export async function testFolder(info: DovecotInfo, overrides: ConfigInput = {}): Promise<TestFolder> {
  const dir = await mkdtemp(join(tmpdir(), "mailreg-worker-"));
  const keys = {
    publicKeyFile: join(dir, "keys/registry.public.jwk"),
    privateKeyDir: join(dir, "keys/private"),
  };
  await writeKeyPair(await generateRegistryKey(), keys);
  const input: ConfigInput = {
    database: { url: `file:${join(dir, "data/mailreg.db")}` },
    keys,
    servers: [
      {
        id: TEMPLATE,
        label: "Test Dovecot",
        protocol: "imap",
        host: info.host,
        port: info.imapPort,
        security: "starttls",
        tls: { verify: true, servername: info.servername },
      },
    ],
    instances: [{ id: INSTANCE, label: "Test" }],
    // the test servers are typed-in servers on loopback ports (POP3, hostile servers): allowed here
    registration: { allowPrivateNetworks: true, allowedPorts: "any" },
    ...overrides,
  };
  const configPath = join(dir, "mailreg.config.json");
  await writeFile(configPath, JSON.stringify(input, null, 2));
  const { config } = await loadConfig({ path: configPath, env: {}, connectors: CONNECTORS });
  return { dir, configPath, config, keyring: await loadKeyring(keys) };
}

/** Opens the folder's store with its config mirrored, as the worker does at start. */
export async function openTestStore(folder: TestFolder): Promise<Store> {
  const store = await openStore({ url: folder.config.database.url });
  await mirrorConfig(store, folder.config);
  return store;
}

let _counter = 0;

/** A user of its own on the Dovecot. */
export function freshUser(info: DovecotInfo, prefix = "wk"): { user: string; password: string } {
  const user = `${prefix}-${process.pid}-${++_counter}-${Math.random().toString(36).slice(2, 7)}`;
  const password = `pw-${user}-secret`;
  attachDovecot(info).addUser(user, password);
  return { user, password };
}

/** doveadm and the separator of the Dovecot, for seeding. */
export function seedTarget(info: DovecotInfo): SeedTarget {
  return { ...attachDovecot(info), separator: info.separator };
}

/**
 * Applies a mailbox for `user` as an administrator would: a registration sealed to the folder's
 * public key (naming template `dovecot`; with `pop3`, Dovecot's POP3 typed in), imported and applied
 * to instance `test`.
 */
export async function applyMailbox(
  store: Store,
  publicKey: RegistryPublicKey,
  info: DovecotInfo,
  user: { user: string; password: string },
  options: { deleteAfterFetch?: boolean; intervalSeconds?: number; autoFetch?: boolean; pop3?: boolean } = {},
): Promise<Mailbox> {
  const { pop3 = false, ...schedule } = options;
  const id = newId();
  const address = `${user.user}@example.test`;
  const server = pop3
    ? ({ protocol: "pop3", port: info.pop3Port } as const)
    : ({ protocol: "imap", template: TEMPLATE, port: info.imapPort } as const);
  const profile: ConnectionProfile = {
    v: 1,
    address,
    ...server,
    host: info.host,
    security: "starttls",
    login: user.user,
    auth: { method: "password", password: user.password },
  };
  await insertRegistration(store, {
    id,
    receivedAt: new Date().toISOString(),
    address,
    ...server,
    host: info.host,
    security: "starttls",
    login: user.user,
    authMethod: "password",
    status: "pending",
    keyId: publicKey.kid,
    sealed: await seal(profile, publicKey, { registrationId: id, address }),
  });
  const { mailbox } = await applyRegistration(store, { id, instanceId: INSTANCE, actor: "test", profile });
  return Object.keys(schedule).length === 0 ? mailbox : await setMailboxSchedule(store, mailbox.id, schedule);
}

/** What the store holds for a mailbox: sorted `<Message-ID> <content hash>` lines (duplicates kept). */
export async function storedMessages(store: Store, mailboxId: string): Promise<string[]> {
  const rows = await store.db
    .select({ messageId: schema.messages.messageId, hash: schema.messages.contentHash })
    .from(schema.messages)
    .where(eq(schema.messages.mailboxId, mailboxId))
    .all();
  return rows.map((r) => `${r.messageId} ${r.hash}`).sort();
}

/** The same lines for messages as delivered to the server. */
export function expectedMessages(messages: readonly GeneratedMessage[]): string[] {
  const encoder = new TextEncoder();
  return messages
    .map((m) => `${m.messageId.replace(/^<|>$/g, "")} ${contentHash(encoder.encode(m.raw))}`)
    .sort();
}

/** How many messages a folder holds on the server, per doveadm. */
export async function countOnServer(info: DovecotInfo, user: string, folder = "INBOX"): Promise<number> {
  const out = await seedTarget(info).doveadm(["mailbox", "status", "-u", user, "messages", folder]);
  return Number(/messages=(\d+)/.exec(out)?.[1] ?? Number.NaN);
}

/** Waits until `check` returns a value other than undefined, polling every 100 ms. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Applies an OAuth mailbox for Dovecot user `login` (an address) like {@link applyMailbox}: its
 * sealed profile holds `refreshToken` of config provider `provider`.
 */
export async function applyOAuthMailbox(
  store: Store,
  publicKey: RegistryPublicKey,
  info: DovecotInfo,
  grant: { login: string; provider: string; refreshToken: string },
): Promise<Mailbox> {
  const id = newId();
  const fields = {
    address: grant.login,
    protocol: "imap",
    template: TEMPLATE,
    host: info.host,
    port: info.imapPort,
    security: "starttls",
    login: grant.login,
  } as const;
  const profile: ConnectionProfile = {
    v: 1,
    ...fields,
    auth: { method: "oauth2", provider: grant.provider, refreshToken: grant.refreshToken },
  };
  await insertRegistration(store, {
    id,
    receivedAt: new Date().toISOString(),
    ...fields,
    authMethod: "oauth2",
    status: "pending",
    keyId: publicKey.kid,
    sealed: await seal(profile, publicKey, { registrationId: id, address: fields.address }),
  });
  return (await applyRegistration(store, { id, instanceId: INSTANCE, actor: "test", profile })).mailbox;
}
