/**
 * The file-system side of `file:` database URLs (Node's `node:fs`, which Deno provides too).
 *
 * @module
 */
import { mkdir, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * The file path of a `file:` URL as @libsql/client reads it (`file:rel.db`, `file:./rel.db`,
 * `file:/abs.db`, `file:///abs.db`, `file://localhost/abs.db`), or undefined for `file::memory:` and
 * for any other scheme.
 *
 * @param url a database URL
 * @returns the path, relative paths left relative to the working directory
 */
export function filePathOf(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  let rest = url.slice("file:".length);
  if (rest.startsWith(":memory:")) return undefined;
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    rest = slash === -1 ? "" : rest.slice(slash);
  }
  const query = rest.indexOf("?");
  if (query !== -1) rest = rest.slice(0, query);
  return decodeURIComponent(rest);
}

/**
 * Creates the folder that will hold the database file, with its parents.
 *
 * @param path the database file's path
 * @returns the file's absolute path with symbolic links resolved (one name per file)
 */
export async function ensureParentFolder(path: string): Promise<string> {
  const absolute = resolve(path);
  await mkdir(dirname(absolute), { recursive: true });
  return join(await realpath(dirname(absolute)), basename(absolute));
}
