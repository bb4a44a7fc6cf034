/**
 * Registry keys on disk: the public key as a JWK file (mode 0644), each private key as
 * `<privateKeyDir>/<kid>.jwk` (mode 0600, directory 0700), retired private keys under
 * `<privateKeyDir>/retired/`. The only file of this package that touches the file system.
 *
 * @module
 */
import { access, chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { platform } from "node:process";
import { MailregError } from "@mailreg/core";
import { _parseJson } from "./_parse-json.ts";
import { importPublicKey, type RegistryKeyPair, type RegistryPublicKey } from "./key.ts";
import { createKeyring, type Keyring } from "./keyring.ts";
import { decodePrivateKeyFile, encodePrivateKeyFile } from "./private-key-file.ts";

/** Where a key pair lives. */
export interface KeyFilesOptions {
  /** The public key file (a JWK). */
  publicKeyFile: string;
  /** The directory of private key files (`<kid>.jwk`); may be missing where no private key is held. */
  privateKeyDir: string;
  /** The passphrase protecting the private key files, if they are protected. */
  passphrase?: string;
}

/** Options of {@link writeKeyPair}. */
export interface WriteKeyPairOptions extends KeyFilesOptions {
  /** Replace existing files instead of refusing with KEY_EXISTS. */
  overwrite?: boolean;
}

/** The name of the folder below the private key directory that holds retired keys. */
export const RETIRED_DIR = "retired";
const _KEY_SUFFIX = ".jwk";

/**
 * Writes a key pair: the public JWK at `publicKeyFile` (0644) and the private key at
 * `privateKeyDir/<kid>.jwk` (0600, directory 0700), wrapped under the passphrase when one is given.
 * Neither file is written when either exists, unless `overwrite` is set.
 *
 * @param key the key pair, from {@link generateRegistryKey}
 * @param options file locations, passphrase, overwrite
 * @returns the private key file's path
 * @throws {MailregError} KEY_EXISTS when a file exists and `overwrite` is not set
 * @example
 * ```ts
 * import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
 * const key = await generateRegistryKey();
 * await writeKeyPair(key, { publicKeyFile: "keys/registry.pub.jwk", privateKeyDir: "keys/private" });
 * ```
 */
export async function writeKeyPair(key: RegistryKeyPair, options: WriteKeyPairOptions): Promise<string> {
  const privateFile = join(options.privateKeyDir, `${key.kid}${_KEY_SUFFIX}`);
  if (options.overwrite !== true) {
    for (const file of [options.publicKeyFile, privateFile]) {
      if (await _exists(file)) {
        throw new MailregError("KEY_EXISTS", `Key file ${file} already exists`, { details: { file } });
      }
    }
  }
  const privateText = await encodePrivateKeyFile(key, options.passphrase);
  await mkdir(options.privateKeyDir, { recursive: true, mode: 0o700 });
  await chmod(options.privateKeyDir, 0o700);
  await _writeAtomically(privateFile, privateText, 0o600);
  await mkdir(dirname(options.publicKeyFile), { recursive: true });
  await _writeAtomically(options.publicKeyFile, `${JSON.stringify(key.publicJwk)}\n`, 0o644);
  return privateFile;
}

/**
 * Reads the public key file.
 *
 * @param file the public key file
 * @returns the public key and its id
 * @throws {MailregError} KEY_NOT_FOUND when the file does not exist; KEY_INVALID when it is not a
 *   registry public key (the message names the file, never its contents)
 */
export async function loadPublicKey(file: string): Promise<RegistryPublicKey> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    if (_code(cause) === "ENOENT") {
      throw new MailregError("KEY_NOT_FOUND", `Public key file ${file} does not exist`, {
        details: { file },
      });
    }
    throw new MailregError("KEY_INVALID", `Public key file ${file} cannot be read`, {
      cause,
      details: { file },
    });
  }
  try {
    return await importPublicKey(_parseJson(text));
  } catch (cause) {
    throw new MailregError("KEY_INVALID", `Public key file ${file} does not hold a registry public key`, {
      cause,
      details: { file },
    });
  }
}

/**
 * Loads the current public key and every private key in `privateKeyDir` (not the retired ones).
 * A missing directory means no private keys: the registration site's situation.
 *
 * @param options file locations and passphrase
 * @returns the keyring
 * @throws {MailregError} KEY_NOT_FOUND / KEY_INVALID for the public key file (see
 *   {@link loadPublicKey}); KEY_FILE_PERMISSIONS when a private key file grants group or others any
 *   access (checked before it is read; not on Windows); KEY_INVALID naming a private file that is
 *   not a key; KEY_PASSPHRASE when a protected private file's passphrase is missing or wrong
 * @example
 * ```ts
 * import { loadKeyring } from "@mailreg/crypto-registry";
 * const keyring = await loadKeyring({ publicKeyFile: "keys/registry.pub.jwk", privateKeyDir: "keys/private" });
 * console.log(keyring.publicKey.kid, [...keyring.privateKeys.keys()]);
 * ```
 */
export async function loadKeyring(options: KeyFilesOptions): Promise<Keyring> {
  const publicKey = await loadPublicKey(options.publicKeyFile);
  const files = await listPrivateKeyFiles(options.privateKeyDir);
  const privateKeys = [];
  for (const file of files) {
    await assertPrivateFileMode(file);
    const key = await decodePrivateKeyFile(await readFile(file, "utf8"), file, options.passphrase);
    if (basename(file) !== `${key.kid}${_KEY_SUFFIX}`) {
      throw new MailregError("KEY_INVALID", `Private key file ${file} is not named after its key id`, {
        details: { file, kid: key.kid },
      });
    }
    privateKeys.push(key);
  }
  return createKeyring(publicKey, privateKeys);
}

/**
 * The private key files (`*.jwk`) directly in `privateKeyDir`, sorted; none when it is missing.
 *
 * @param privateKeyDir the private key directory
 * @returns the files' paths
 */
export async function listPrivateKeyFiles(privateKeyDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(privateKeyDir);
  } catch (cause) {
    if (_code(cause) === "ENOENT") return [];
    throw new MailregError("KEY_INVALID", `Private key directory ${privateKeyDir} cannot be read`, {
      cause,
      details: { dir: privateKeyDir },
    });
  }
  return names
    .filter((n) => n.endsWith(_KEY_SUFFIX))
    .sort()
    .map((n) => join(privateKeyDir, n));
}

/**
 * Refuses a private key file that grants its group or others any access (mode bits 0o077): a key
 * others can read is as good as published. Skipped on Windows, where modes mean nothing.
 *
 * @param file the private key file
 * @throws {MailregError} KEY_FILE_PERMISSIONS (`details.file`, `details.mode` in octal)
 */
export async function assertPrivateFileMode(file: string): Promise<void> {
  if (platform === "win32") return;
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const octal = mode.toString(8).padStart(4, "0");
    throw new MailregError(
      "KEY_FILE_PERMISSIONS",
      `Private key file ${file} has mode ${octal}: group or others may access it (run chmod 600 on it)`,
      { details: { file, mode: octal } },
    );
  }
}

/**
 * Moves `privateKeyDir/<kid>.jwk` to `privateKeyDir/retired/<kid>.jwk`: still recoverable, no
 * longer loaded by {@link loadKeyring}.
 *
 * @param privateKeyDir the private key directory
 * @param kid the id of the key to retire
 * @returns the retired file's path
 * @throws {MailregError} KEY_NOT_FOUND when that private key file does not exist
 */
export async function retirePrivateKey(privateKeyDir: string, kid: string): Promise<string> {
  const from = join(privateKeyDir, `${kid}${_KEY_SUFFIX}`);
  const retiredDir = join(privateKeyDir, RETIRED_DIR);
  const to = join(retiredDir, `${kid}${_KEY_SUFFIX}`);
  await mkdir(retiredDir, { recursive: true, mode: 0o700 });
  try {
    await rename(from, to);
  } catch (cause) {
    if (_code(cause) === "ENOENT") {
      throw new MailregError("KEY_NOT_FOUND", `Private key file ${from} does not exist`, {
        details: { kid },
      });
    }
    throw cause;
  }
  return to;
}

/** Writes a temporary file beside `file` with `mode`, then renames it into place. */
async function _writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${crypto.randomUUID()}.tmp`);
  try {
    await writeFile(tmp, text, { mode, flag: "wx" });
    await chmod(tmp, mode); // the umask may have narrowed or (rarely) the caller widened it
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function _exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function _code(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
}
