/**
 * The file-system side of `file:` database URLs (Node's `node:fs`, which Deno provides too).
 *
 * @module
 */
import { chmod, mkdir, open, readdir, realpath, stat } from "node:fs/promises";
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
 * Creates the folder that will hold the database file, with its parents (new folders 0700: only the
 * service reads them).
 *
 * @param path the database file's path
 * @returns the file's absolute path with symbolic links resolved (one name per file)
 */
export async function ensureParentFolder(path: string): Promise<string> {
  const absolute = resolve(path);
  await mkdir(dirname(absolute), { recursive: true, mode: 0o700 });
  return join(await realpath(dirname(absolute)), basename(absolute));
}

const _SUFFIXES = ["", "-wal", "-shm", "-journal"];

/**
 * Keeps the database readable by the service only: creates a missing database file 0600 before
 * SQLite does (SQLite gives its -wal and -shm files the database file's mode), takes group and other
 * permissions off an existing database, -wal, -shm and -journal, and off their folder when it holds
 * nothing else (so a database in a shared folder does not close that folder). No-op on Windows.
 *
 * @param path the database file's path
 * @returns the paths whose permissions were changed (empty when everything was right already)
 */
export async function restrictDatabaseFiles(path: string): Promise<string[]> {
  if (globalThis.process?.platform === "win32") return [];
  const changed: string[] = [];
  const absolute = resolve(path);
  // Created only when missing (O_EXCL): opening and closing a database file that SQLite has open in
  // this process would drop SQLite's POSIX locks on it (closing any descriptor of a file releases all
  // of a process's locks on it); another process closing its last connection then took itself for the
  // last one, checkpointed and deleted the -wal and -shm files under this one, which saw no later
  // commit again (a second store opened in the app + worker process did exactly that).
  try {
    await (await open(absolute, "wx", 0o600)).close();
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
  for (const suffix of _SUFFIXES) {
    if (await _tighten(absolute + suffix, 0o600)) changed.push(absolute + suffix);
  }
  const folder = dirname(absolute);
  const own = new Set(_SUFFIXES.map((s) => basename(absolute) + s));
  if ((await readdir(folder)).every((name) => own.has(name)) && (await _tighten(folder, 0o700))) {
    changed.push(folder);
  }
  return changed;
}

async function _tighten(path: string, mode: number): Promise<boolean> {
  let current: number;
  try {
    current = (await stat(path)).mode & 0o777;
  } catch {
    return false; // not there
  }
  if ((current & 0o077) === 0) return false;
  await chmod(path, current & mode);
  return true;
}
