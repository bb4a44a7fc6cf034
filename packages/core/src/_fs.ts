// The Node edge of this package: reading a text file, paths, the process environment. Deno runs
// these `node:` modules natively. The environment is read only when asked for, so importing the
// package needs no permission.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import process from "node:process";

/**
 * Reads a UTF-8 text file.
 *
 * @param path the file
 * @returns its text
 */
export function _readTextFile(path: string): Promise<string> {
  return readFile(path, "utf8");
}

/**
 * `path` made absolute against `base` (unchanged when already absolute).
 *
 * @param base an absolute folder
 * @param path a relative or absolute path
 * @returns the absolute path
 */
export function _resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * Whether `path` is absolute on this platform.
 *
 * @param path a path
 * @returns true when absolute
 */
export function _isAbsolute(path: string): boolean {
  return isAbsolute(path);
}

/**
 * The folder holding `path`.
 *
 * @param path a file path
 * @returns its folder
 */
export function _dirname(path: string): string {
  return dirname(path);
}

/** @returns the process environment */
export function _processEnv(): Record<string, string | undefined> {
  return process.env;
}

/** @returns the current working directory */
export function _cwd(): string {
  return process.cwd();
}
