/**
 * What both runtime adapters do before serving: open the store, mirror the config into it, load
 * the registry keys and build the app.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { createKeyring, loadKeyring, loadPublicKey } from "@mailreg/crypto-registry";
import { openStore, type Store } from "@mailreg/store";
import { createApp, type RegistrationApp } from "./app.ts";
import type { AppDeps } from "./deps.ts";
import { imapSyncChecks } from "./mail-checks.ts";
import { mirrorConfig } from "./mirror-config.ts";

/** Options of {@link prepareApp}; `verifyLogin` and `checkMailbox` default to `@mailreg/imap-sync`'s. */
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
 * Opens the store (migrating it), mirrors instances and templates, loads the keys, builds the app.
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
    await mirrorConfig(store, config);
    return { ...createApp({ ...imapSyncChecks(), ...deps, config, store, keyring }), store };
  } catch (error) {
    store.close();
    throw error;
  }
}
