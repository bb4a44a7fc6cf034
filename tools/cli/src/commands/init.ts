/**
 * `mailreg init [DIR]`: config, registry keys and database in DIR (default: the working directory).
 * Creates only what is missing; a second run changes nothing. Prints the first admin password and
 * API token once, when it creates the config.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateRegistryKey, loadPublicKey, writeKeyPair } from "@mailreg/crypto-registry";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext, withStore } from "../context.ts";
import { type FirstCredentials, writeInitialConfig } from "../init-files.ts";
import type { Io } from "../io.ts";
import { block, emit } from "../output.ts";
import { UsageError } from "../usage-error.ts";

/** What init found or made. */
export interface InitResult {
  config: { path: string; created: boolean };
  keys: { publicKeyFile: string; privateKeyDir: string; kid: string | undefined; created: boolean };
  database: { url: string };
  credentials?: FirstCredentials;
  /** Database files and folder an older installation left readable by others, now 0600/0700. */
  tightened?: readonly string[];
}

/**
 * Initialises a mailreg folder; used by `init` and by `start`.
 *
 * @param io the environment
 * @param options the folder and/or the config file
 * @returns what exists now and what was created
 */
export async function initialise(io: Io, options: { dir?: string; config?: string }): Promise<InitResult> {
  const dir = resolve(io.cwd, options.dir ?? ".");
  const path =
    options.config !== undefined ? resolve(io.cwd, options.config) : join(dir, "mailreg.config.json");
  let credentials: FirstCredentials | undefined;
  if (!existsSync(path)) credentials = await writeInitialConfig(path);
  const { config } = await configContext({ ...io, cwd: dir }, path);

  let kid: string | undefined;
  let keysCreated = false;
  if (!existsSync(config.keys.publicKeyFile)) {
    const key = await generateRegistryKey();
    await writeKeyPair(key, {
      publicKeyFile: config.keys.publicKeyFile,
      privateKeyDir: config.keys.privateKeyDir,
      ...(config.keys.passphrase === undefined ? {} : { passphrase: config.keys.passphrase }),
    });
    kid = key.kid;
    keysCreated = true;
  } else {
    kid = (await loadPublicKey(config.keys.publicKeyFile)).kid;
  }
  const tightened = await withStore(config, async (store) => store.tightened);
  return {
    config: { path, created: credentials !== undefined },
    keys: {
      publicKeyFile: config.keys.publicKeyFile,
      privateKeyDir: config.keys.privateKeyDir,
      kid,
      created: keysCreated,
    },
    database: { url: config.database.url },
    ...(credentials === undefined ? {} : { credentials }),
    ...(tightened === undefined ? {} : { tightened }),
  };
}

/**
 * The human report of {@link initialise}.
 *
 * @param r the result
 * @returns the text
 */
export function describeInit(r: InitResult): string {
  const made = (created: boolean) => (created ? "created" : "exists");
  let text = block([
    ["config", `${r.config.path} (${made(r.config.created)})`],
    ["public key", `${r.keys.publicKeyFile} (${made(r.keys.created)}, kid ${r.keys.kid})`],
    ["private keys", r.keys.privateKeyDir],
    ["database", r.database.url],
  ]);
  if (r.tightened !== undefined) {
    text += `\nfile permissions tightened: readable by the service only now: ${r.tightened.join(", ")}\n`;
  }
  if (r.credentials !== undefined) {
    text += `\nFirst admin credentials (shown once; only their hashes are stored):\n${block([
      ["user", r.credentials.adminUser],
      ["password", r.credentials.adminPassword],
      ["API token", r.credentials.apiToken],
    ])}`;
  } else if (!r.keys.created) {
    text += "\nAlready initialised: nothing changed.\n";
  }
  return text;
}

export const initCommand: Command = {
  words: ["init"],
  summary: "Create config, registry keys and database (only what is missing)",
  usage: "init [DIR] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { dir: { type: "string" } });
    if (positionals.length > 1) throw new UsageError("init takes at most one folder");
    const dir = values.dir ?? positionals[0];
    const result = await initialise(io, {
      ...(dir === undefined ? {} : { dir }),
      ...(values.config === undefined ? {} : { config: values.config }),
    });
    emit(io, values.json, result, () => describeInit(result));
    return 0;
  },
};
