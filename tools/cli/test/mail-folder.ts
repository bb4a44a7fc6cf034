/**
 * Test helper (not built): an initialised mailreg folder whose config offers the test Dovecot as
 * template `dovecot`, and mailboxes applied in it from really sealed registrations.
 *
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ConnectionProfile, loadConfig, newId } from "@mailreg/core";
import { loadPublicKey, seal } from "@mailreg/crypto-registry";
import {
  attachDovecot,
  type DovecotInfo,
  type GeneratedMessage,
  generateMessages,
  seedMaildir,
} from "@mailreg/mailservers";
import { CONNECTORS } from "@mailreg/registration";
import {
  applyRegistration,
  insertRegistration,
  type Mailbox,
  mirrorConfig,
  openStore,
  type Store,
  setMailboxSchedule,
} from "@mailreg/store";
import { runCli } from "../src/testing.ts";

/** An initialised folder pointing at the Dovecot. */
export interface MailFolder {
  /** The first admin's API token (from `init --json`). */
  apiToken: string;
  /** Opens the folder's store (close it). */
  openStore(): Promise<Store>;
  /** A fresh Dovecot user with `count` messages in INBOX, applied as a mailbox to `instance`. */
  addMailbox(options?: {
    count?: number;
    seed?: number;
    instance?: string;
    user?: { user: string; password: string };
    wrongPassword?: boolean;
    autoFetch?: boolean;
  }): Promise<{ mailbox: Mailbox; messages: GeneratedMessage[]; user: { user: string; password: string } }>;
}

let _counter = 0;

/**
 * Initialises `dir` with `mailreg init` and adds the Dovecot as template `dovecot` (certificate not
 * checked: the test server's own CA is not in this process's trust store) and a second instance.
 *
 * @param dir an empty folder
 * @param info the Dovecot
 * @returns the folder
 */
export async function mailFolder(dir: string, info: DovecotInfo): Promise<MailFolder> {
  const init = await runCli(["init", "--json"], { cwd: dir });
  if (init.code !== 0) throw new Error(init.stderr);
  const { apiToken } = init.json<{ credentials: { apiToken: string } }>().credentials;
  const path = join(dir, "mailreg.config.json");
  const config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  config.servers = [
    {
      id: "dovecot",
      label: "Test Dovecot",
      protocol: "imap",
      host: info.host,
      port: info.imapPort,
      security: "starttls",
      tls: { verify: false },
    },
  ];
  config.instances = [...(config.instances as unknown[]), { id: "second", label: "Second" }];
  await writeFile(path, JSON.stringify(config, null, 2));
  const loaded = (await loadConfig({ path, env: {}, connectors: CONNECTORS })).config;
  const open = async () => {
    const store = await openStore({ url: loaded.database.url });
    await mirrorConfig(store, loaded);
    return store;
  };
  return {
    apiToken,
    openStore: open,
    async addMailbox(options = {}) {
      const user = options.user ?? {
        user: `cli-${process.pid}-${++_counter}-${Math.random().toString(36).slice(2, 7)}`,
        password: `pw-cli-${_counter}-secret`,
      };
      if (options.user === undefined) attachDovecot(info).addUser(user.user, user.password);
      const messages = [...generateMessages({ count: options.count ?? 0, seed: options.seed ?? 7 })];
      if (messages.length > 0) {
        await seedMaildir(
          { ...attachDovecot(info), separator: info.separator },
          user.user,
          "INBOX",
          messages,
        );
      }
      const publicKey = await loadPublicKey(loaded.keys.publicKeyFile);
      const id = newId();
      const address = `${user.user}@example.test`;
      const password = options.wrongPassword === true ? "wrong-password" : user.password;
      const clear = {
        address,
        protocol: "imap",
        template: "dovecot",
        host: info.host,
        port: info.imapPort,
        security: "starttls",
        login: user.user,
      } as const;
      const profile: ConnectionProfile = { v: 1, ...clear, auth: { method: "password", password } };
      const store = await open();
      try {
        await insertRegistration(store, {
          id,
          receivedAt: new Date().toISOString(),
          ...clear,
          authMethod: "password",
          status: "pending",
          keyId: publicKey.kid,
          sealed: await seal(profile, publicKey, { registrationId: id, address }),
        });
        const { mailbox } = await applyRegistration(store, {
          id,
          instanceId: options.instance ?? "default",
          actor: "test",
          profile,
        });
        const final =
          options.autoFetch === undefined
            ? mailbox
            : await setMailboxSchedule(store, mailbox.id, { autoFetch: options.autoFetch });
        return { mailbox: final, messages, user };
      } finally {
        store.close();
      }
    },
  };
}
