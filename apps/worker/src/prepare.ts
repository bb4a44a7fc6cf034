/**
 * What both runtime adapters do before the worker runs: load the registry keys (the private key is
 * required: it opens mailbox credentials), open the store, mirror the config's instances (their
 * schedules decide when mailboxes are due) and server templates into it, and build the worker.
 *
 * @module
 */
import { type Config, jsonLogger, MailregError } from "@mailreg/core";
import { loadKeyring } from "@mailreg/crypto-registry";
import { mirrorConfig, openStore, type Store } from "@mailreg/store";
import type { WorkerDeps } from "./deps.ts";
import { oauthAccessTokens } from "./oauth-tokens.ts";
import { createWorker, type Worker } from "./worker.ts";

/** Options of {@link prepareWorker}: the config and the worker's optional dependencies. */
export interface PrepareWorkerOptions extends Partial<Omit<WorkerDeps, "config" | "store" | "keyring">> {
  /** The validated config (paths resolved, e.g. by `loadConfig`). */
  config: Config;
}

/** A prepared worker and the store it owns. */
export interface PreparedWorker {
  worker: Worker;
  store: Store;
}

/**
 * Loads the keys, opens and mirrors the store, builds the worker (not started).
 *
 * @param options the config and the worker's other dependencies
 * @returns the worker and its store (close the store after `worker.stop()`)
 * @throws {MailregError} SEAL_NO_PRIVATE_KEY when no private key is held; KEY_*, STORE_UNAVAILABLE,
 *   MIGRATION_FAILED
 */
export async function prepareWorker(options: PrepareWorkerOptions): Promise<PreparedWorker> {
  const { config, ...deps } = options;
  const keys = config.keys;
  const keyring = await loadKeyring({
    publicKeyFile: keys.publicKeyFile,
    privateKeyDir: keys.privateKeyDir,
    ...(keys.passphrase === undefined ? {} : { passphrase: keys.passphrase }),
  });
  if (keyring.privateKeys.size === 0) {
    throw new MailregError(
      "SEAL_NO_PRIVATE_KEY",
      `The worker needs the registry private key to open mailbox credentials; there is none in ${keys.privateKeyDir}`,
    );
  }
  const store = await openStore({
    url: config.database.url,
    ...(config.database.authToken === undefined ? {} : { authToken: config.database.authToken }),
  });
  try {
    if (store.tightened !== undefined) {
      (deps.logger ?? jsonLogger()).warn("file permissions tightened: readable by the service only now", {
        paths: store.tightened.join(", "),
      });
    }
    await mirrorConfig(store, config);
    const accessToken = deps.accessToken ?? oauthAccessTokens({ config, store, keyring });
    return { worker: createWorker({ ...deps, accessToken, config, store, keyring }), store };
  } catch (error) {
    store.close();
    throw error;
  }
}
