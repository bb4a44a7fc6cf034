/**
 * Turning libSQL and drizzle errors into {@link MailregError}s.
 *
 * drizzle wraps a failed query in an error whose message carries the SQL and its parameters; the
 * helpers here look through to the libSQL error underneath, and never copy parameters into a message.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";

/** libSQL codes that mean the database cannot be used right now (locked, closed, unreachable, I/O). */
const _UNAVAILABLE =
  /^(SQLITE_BUSY|SQLITE_LOCKED|SQLITE_IOERR|SQLITE_CANTOPEN|SQLITE_FULL|SQLITE_READONLY|CLIENT_CLOSED|SERVER_ERROR|HRANA_|HTTP_|WEBSOCKET_|STREAM_|TRANSACTION_ACTIVE)/;

/**
 * The innermost error that carries a libSQL `code`, or `error` itself.
 *
 * @param error anything caught from a query
 * @returns the libSQL error underneath drizzle's wrapper, if any
 */
export function rootCause(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (typeof (current as { code?: unknown }).code === "string") return current;
    current = current.cause;
  }
  return error;
}

/**
 * The libSQL code of `error` (e.g. `SQLITE_CONSTRAINT`), if it has one.
 *
 * @param error anything caught from a query
 * @returns the code and extended code (e.g. `SQLITE_CONSTRAINT_PRIMARYKEY`)
 */
export function sqliteCode(error: unknown): { code?: string; extendedCode?: string } {
  const root = rootCause(error) as { code?: unknown; extendedCode?: unknown };
  const out: { code?: string; extendedCode?: string } = {};
  if (typeof root?.code === "string") out.code = root.code;
  if (typeof root?.extendedCode === "string") out.extendedCode = root.extendedCode;
  return out;
}

/**
 * Whether `error` is a UNIQUE or PRIMARY KEY violation.
 *
 * @param error anything caught from a query
 * @returns true for a uniqueness violation
 */
export function isUniqueViolation(error: unknown): boolean {
  const { code, extendedCode } = sqliteCode(error);
  if (extendedCode === "SQLITE_CONSTRAINT_PRIMARYKEY" || extendedCode === "SQLITE_CONSTRAINT_UNIQUE")
    return true;
  const root = rootCause(error);
  return (
    code === "SQLITE_CONSTRAINT" && root instanceof Error && /UNIQUE constraint failed/.test(root.message)
  );
}

/**
 * `error` as the caller should see it: a {@link MailregError} unchanged, a libSQL error that means the
 * database cannot be used as STORE_UNAVAILABLE (with the libSQL error as cause), anything else unchanged.
 *
 * @param error anything caught from a query
 * @returns the error to throw
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof MailregError) return error;
  const { code } = sqliteCode(error);
  if (code !== undefined && _UNAVAILABLE.test(code)) {
    return new MailregError("STORE_UNAVAILABLE", `The database cannot be used now (${code})`, {
      cause: rootCause(error),
      details: { code },
    });
  }
  return error;
}
