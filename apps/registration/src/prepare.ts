/**
 * What both runtime adapters do before serving: open the store, mirror the config into it, load
 * the registry keys and build the app with the real mail checks, "sync now" as a request in the
 * store (a worker in any process serves it) and SMTP resolution by `@mailreg/smtp-resolver`.
 *
 * @module
 */
import { type Config, jsonLogger } from "@mailreg/core";
import { createKeyring, loadKeyring, loadPublicKey } from "@mailreg/crypto-registry";
import { type Sink, sinksFromConfig } from "@mailreg/imap-sync";
import { getSetting, mirrorConfig, openStore, requestSync, type Store, setSetting } from "@mailreg/store";
import { storeSmtpResolver } from "./admin/smtp-resolution.ts";
import { createApp, type RegistrationApp } from "./app.ts";
import { loadSessionKey } from "./auth/session-key-file.ts";
import { LEGACY_SESSION_KEY_SETTING } from "./auth/sessions.ts";
import type { AppDeps } from "./deps.ts";
import { imapSyncChecks } from "./mail-checks.ts";

/**
 * Options of {@link prepareApp}. Defaults: `verifyLogin` and `checkMailbox` are `@mailreg/imap-sync`'s,
 * `requestSync` records the request in the store (`requestSync` of `@mailreg/store`), `resolveSmtp`
 * resolves with `@mailreg/smtp-resolver`, `sinks` are the config's (webhook secrets from the
 * environment; none on a public-key-only site, or while a secret variable is unset: re-run and
 * retry then answer 503).
 */
export interface PrepareOptions extends Partial<Omit<AppDeps, "config" | "store" | "keyring">> {
  /** The validated config (paths resolved, e.g. by `loadConfig`). */
  config: Config;
  /** Load only the public key, as a registration site in a DMZ would (default: private keys too, when present). */
  publicKeyOnly?: boolean;
}

/** A prepared app and the store it owns. */
export interface PreparedApp extends RegistrationApp {
  store: Store;
}

/**
 * Opens the store (migrating it; an older installation's database files and folder lose group and
 * other permissions, said in one log line), mirrors instances and templates, loads the registry keys
 * and the admin session key (`keys.sessionKeyFile`, created 0600 on first start), builds the app.
 *
 * @param options the config and the app's other dependencies
 * @returns the app and its store (close the store when done)
 * @throws {MailregError} STORE_UNAVAILABLE, MIGRATION_FAILED, KEY_NOT_FOUND, KEY_INVALID, KEY_PASSPHRASE,
 *   DEPENDENCY_MISSING
 */
export async function prepareApp(options: PrepareOptions): Promise<PreparedApp> {
  const { config, publicKeyOnly, ...deps } = options;
  const keys = config.keys;
  const keyring =
    publicKeyOnly === true
      ? createKeyring(await loadPublicKey(keys.publicKeyFile))
      : await loadKeyring({
          publicKeyFile: keys.publicKeyFile,
          privateKeyDir: keys.privateKeyDir,
          ...(keys.passphrase === undefined ? {} : { passphrase: keys.passphrase }),
        });
  const store = await openStore({
    url: config.database.url,
    ...(config.database.authToken === undefined ? {} : { authToken: config.database.authToken }),
  });
  try {
    const session = deps.sessionKey === undefined ? await loadSessionKey(keys.sessionKeyFile) : undefined;
    const tightened = [...(store.tightened ?? []), ...(session?.tightened ? [keys.sessionKeyFile] : [])];
    const logger = deps.logger ?? jsonLogger();
    // an older version's session key, in a table any database reader sees: never used again
    const legacy = await getSetting(store, LEGACY_SESSION_KEY_SETTING);
    if (legacy !== undefined && legacy !== null && legacy !== "") {
      await setSetting(store, LEGACY_SESSION_KEY_SETTING, "");
      logger.warn("admin session key removed from the database: sessions it signed end; sign in again", {
        keyFile: keys.sessionKeyFile,
      });
    }
    if (tightened.length > 0) {
      logger.warn("file permissions tightened: readable by the service only now", {
        paths: tightened.join(", "),
      });
    }
    // mailboxes without an address key (reported by opening too) are reported again by mirroring
    for (const d of await mirrorConfig(store, config)) {
      logger.warn(
        "mailboxes differ only by case in their address: kept apart, not merged; merge or delete them",
        {
          instance: d.instanceId,
          kept: `${d.kept.id} ${d.kept.address}`,
          duplicates: d.duplicates.map((m) => `${m.id} ${m.address}`).join(", "),
        },
      );
    }
    const defaults = {
      ...(session === undefined ? {} : { sessionKey: session.key }),
      ...imapSyncChecks(),
      requestSync: (mailboxId: string, actor: string) => requestSync(store, mailboxId, { actor }),
      resolveSmtp: storeSmtpResolver(store, config),
      ...(publicKeyOnly === true ? {} : _configuredSinks(config)),
    };
    return {
      ...createApp({
        ...defaults,
        ...deps,
        ...(publicKeyOnly === true ? { publicOnly: true } : {}),
        config,
        store,
        keyring,
      }),
      store,
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The config's sinks with the webhook secrets from the process environment (Node and Deno 2), if all are set. */
function _configuredSinks(config: Config): { sinks?: readonly Sink[] } {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  try {
    return { sinks: sinksFromConfig(config.sinks, env) };
  } catch {
    return {};
  }
}
