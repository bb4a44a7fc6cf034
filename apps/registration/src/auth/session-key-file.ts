/**
 * The admin session key file (node:fs, which Deno provides too): 32 random bytes, base64url, in
 * the keys folder with mode 0600 — created on first start, read after, tightened when an older copy
 * is readable by others.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { MailregError } from "@mailreg/core";

/**
 * Reads the session key, or creates it (0600, its folder 0700 when new).
 *
 * @param path `keys.sessionKeyFile`
 * @returns the key and whether the file was created or had its permissions tightened
 * @throws {MailregError} KEY_INVALID when the file holds no 32-byte key
 */
export async function loadSessionKey(
  path: string,
): Promise<{ key: Uint8Array; created: boolean; tightened: boolean }> {
  let text: string;
  let created = false;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    text = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    try {
      // wx: two processes starting at once keep whichever wrote first
      await writeFile(path, `${text}\n`, { mode: 0o600, flag: "wx" });
      created = true;
    } catch (raced) {
      if ((raced as { code?: unknown }).code !== "EEXIST") throw raced;
      text = await readFile(path, "utf8");
    }
  }
  const key = Uint8Array.from(Buffer.from(text.trim(), "base64url"));
  if (key.length !== 32) {
    throw new MailregError("KEY_INVALID", `${path} does not hold an admin session key (32 bytes, base64url)`);
  }
  let tightened = false;
  const mode = (await stat(path)).mode & 0o777;
  if (globalThis.process?.platform !== "win32" && (mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    tightened = true;
  }
  return { key, created, tightened };
}
