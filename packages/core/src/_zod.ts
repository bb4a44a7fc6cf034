// Helpers shared by the zod schemas of this package: text without control characters, and zod
// issues turned into `{ path, message }` lines with readable paths (`registration.windows[0].until`).
import { z } from "zod";

/** One problem of a validation, with a readable path. */
export interface ValidationIssue {
  /** Where: `registration.windows[0].until`, `(root)` for the whole value, or an env variable name. */
  path: string;
  /** What is wrong, without the offending value (it may be a secret). */
  message: string;
}

const _CONTROL = /\p{Cc}/u;

/**
 * A string schema of at most `max` characters that refuses control characters.
 *
 * @param max the longest allowed length
 * @returns the schema
 */
export function _safeString(max: number): z.ZodString {
  return z
    .string()
    .max(max)
    .refine((s) => !_CONTROL.test(s), { message: "must not contain control characters" });
}

const _PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/**
 * A readable path: `a.b[0].c`, `a["odd key"]`, `(root)` when empty.
 *
 * @param path zod's issue path
 * @returns the path as text
 */
export function _formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && _PLAIN_KEY.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Flattens zod issues into readable lines: an unknown key becomes a problem at that key's path, an
 * invalid record key reports why the key is invalid.
 *
 * @param issues zod's issues
 * @param prefix a path to put before every issue path
 * @returns one line per problem
 */
export function _issueList(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: _formatPath([...path, key]), message: "unknown key" });
    } else if (issue.code === "invalid_key") {
      for (const inner of issue.issues)
        out.push({ path: _formatPath(path), message: `invalid key: ${inner.message}` });
    } else {
      out.push({ path: _formatPath(path), message: issue.message });
    }
  }
  return out;
}
