/**
 * What commands share: the loaded config, the store (with the config's instances and server
 * templates mirrored into it) and the registry keyring.
 *
 * @module
 */
import { type Config, loadConfig } from "@mailreg/core";
import { type Keyring, loadKeyring } from "@mailreg/crypto-registry";
import { CONNECTORS } from "@mailreg/registration";
import { mirrorConfig, openStore, type Store } from "@mailreg/store";
import type { Io } from "./io.ts";

/** The loaded config and where it came from. */
export interface ConfigContext {
  config: Config;
  /** Absolute path of the config file. */
  path: string;
  /** Whether the file existed (false: defaults and environment only). */
  found: boolean;
}

/**
 * Loads the config named by `--config`, `MAILREG_CONFIG` or `./mailreg.config.json`, and prints its
 * warnings (ignored `MAILREG_` variables) to stderr once per run.
 *
 * @param io the invocation's environment and working directory
 * @param file the `--config` value
 * @returns the config context
 */
export async function configContext(io: Io, file: string | undefined): Promise<ConfigContext> {
  const loaded = await loadConfig({
    ...(file === undefined ? {} : { path: file }),
    env: io.env,
    cwd: io.cwd,
    connectors: CONNECTORS,
  });
  // once per run (a command may load the config more than once, always with the same environment)
  const shown = _warned.get(io.env) ?? new Set<string>();
  _warned.set(io.env, shown);
  for (const warning of loaded.warnings) {
    if (shown.has(warning)) continue;
    shown.add(warning);
    io.err(`warning: ${warning}\n`);
  }
  return loaded;
}

const _warned = new WeakMap<object, Set<string>>();

/**
 * Opens the store and mirrors the config's instances and server templates into it, so registrations
 * can be applied to them.
 *
 * @param config the config
 * @returns the open store; the caller closes it
 */
export async function storeFor(config: Config): Promise<Store> {
  const store = await openStore({
    url: config.database.url,
    ...(config.database.authToken === undefined ? {} : { authToken: config.database.authToken }),
  });
  try {
    await mirrorConfig(store, config);
    return store;
  } catch (e) {
    store.close();
    throw e;
  }
}

/**
 * Loads the registry keyring the config names (private keys only where the config's folder has them).
 *
 * @param config the config
 * @returns the keyring
 */
export async function keyringFor(config: Config): Promise<Keyring> {
  return await loadKeyring({
    publicKeyFile: config.keys.publicKeyFile,
    privateKeyDir: config.keys.privateKeyDir,
    ...(config.keys.passphrase === undefined ? {} : { passphrase: config.keys.passphrase }),
  });
}

/**
 * Runs `fn` with an open store and closes it afterwards.
 *
 * @param config the config
 * @param fn the work
 * @returns what `fn` returns
 */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await storeFor(config);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/**
 * Who the audit log names for a command run: `--actor`, else `cli:` and the OS user.
 *
 * @param io the environment
 * @param actor the `--actor` value
 * @returns the actor name
 */
export function actorName(io: Io, actor: string | undefined): string {
  return actor ?? `cli:${io.env.USER ?? io.env.USERNAME ?? "unknown"}`;
}
