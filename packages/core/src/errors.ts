/**
 * Typed errors with a stable `code`.
 *
 * Every failure a caller may branch on is a {@link MailregError} whose `code` is a key of
 * {@link ERROR_CODES}. Codes never change meaning once released; messages may be reworded.
 * Messages never contain a secret (password, refresh token, private key, passphrase).
 * Apps translate codes into HTTP statuses in exactly one place (their error handler).
 *
 * @module
 */

/** Every error code mailreg raises, with what it means. Add new codes here, never reuse one. */
export const ERROR_CODES = {
  // configuration
  CONFIG_NOT_FOUND: "The configuration file does not exist",
  CONFIG_PARSE: "The configuration file is not valid JSON",
  CONFIG_INVALID: "The configuration does not match the schema",
  CONFIG_UNREADABLE: "The configuration file exists but cannot be read",
  // input
  VALIDATION: "The input is not valid",
  ADDRESS_INVALID: "The SMTP address is not valid",
  // registration file format
  REGFILE_HEADER: "The registration file's header line is missing or wrong",
  REGFILE_VERSION: "The registration file's format version is not supported",
  REGFILE_LINE: "A line of the registration file is not a valid registration",
  // keys and sealing
  KEY_NOT_FOUND: "No registry key with that id is available",
  KEY_INVALID: "The key file is not a valid registry key",
  KEY_PASSPHRASE: "The private key's passphrase is missing or wrong",
  KEY_EXISTS: "A key file already exists and would be overwritten",
  KEY_FILE_PERMISSIONS: "A private key file is readable by group or others (it must be mode 0600)",
  SEAL_NO_PRIVATE_KEY: "Opening a sealed profile needs the registry private key",
  SEAL_TAMPERED: "The sealed profile was altered or is not a valid JWE",
  SEAL_BINDING_MISMATCH: "The sealed profile belongs to another registration or address",
  SEAL_PROFILE_INVALID: "The sealed profile's plaintext is not a valid connection profile",
  // store and domain
  NOT_FOUND: "The requested item does not exist",
  CONFLICT: "The item is in a state that does not allow this",
  INSTANCE_UNKNOWN: "The instance does not exist",
  PROFILE_MISMATCH: "The registration's clear fields differ from its sealed profile",
  REGISTRATION_NOT_PENDING: "The registration was already applied or rejected",
  STORE_UNAVAILABLE: "The database cannot be reached",
  STORE_CONSTRAINT: "The database refused to store the change (a constraint failed)",
  MIGRATION_FAILED: "The database migration failed",
  MESSAGE_RAW_PURGED:
    "The message's raw source was removed by the retention policy (its metadata and search text remain)",
  // registration window and public form
  WINDOW_CLOSED: "Registration is closed",
  RATE_LIMITED: "Too many requests",
  PAYLOAD_TOO_LARGE: "The request body is larger than allowed",
  // auth
  UNAUTHENTICATED: "Authentication is required",
  FORBIDDEN: "Not allowed",
  // mail servers
  MAIL_AUTH_FAILED: "The mail server refused the login",
  MAIL_CONNECTION_FAILED: "The mail server could not be reached",
  MAIL_TLS_FAILED: "The TLS handshake with the mail server failed",
  MAIL_PROTOCOL: "The mail server answered something unexpected",
  MAIL_SIGN_IN_FAILED:
    "Signing in to the mail server did not work (the public answer to every verify failure; the reason is in the audit log)",
  MAIL_HOST_NOT_ALLOWED:
    "The network policy does not allow connecting to this mail server (its address or port)",
  SYNC_INTERRUPTED: "The collection run ended unfinished: its worker stopped (it resumes where it stopped)",
  SINK_FAILED:
    "A sink that must hold a collected message did not take it: the message stays on the server and is collected again",
  SYNC_STATE_INVALID: "The saved sync state cannot be read (the file is not a sync state, or is damaged)",
  SMTP_TEMPORARY: "The SMTP server refused the message for now (4xx); it will be tried again",
  SMTP_PERMANENT: "The SMTP server refused the message for good (5xx)",
  SMTP_NOT_CONFIGURED: "No SMTP server is usable for this mailbox at any level of the precedence chain",
  // OAuth 2.0
  OAUTH_INVALID_GRANT: "The owner must grant permission again",
  OAUTH_REQUEST: "The OAuth server refused the request",
  OAUTH_UNEXPECTED_RESPONSE: "The OAuth server answered something unexpected",
  OAUTH_UNREACHABLE: "The OAuth server could not be reached",
  OAUTH_ID_TOKEN_INVALID: "The ID token is not valid for this sign-in",
  OAUTH_STATE_MISMATCH: "The sign-in answer does not belong to this sign-in",
  OAUTH_INVALID_CLIENT:
    "The OAuth server refused the app's own credentials (client id, secret or the tenant's permission): the administrator must fix them",
  // environment
  DEPENDENCY_MISSING: "A program this needs is not installed",
  INTERNAL: "An unexpected internal error",
} as const;

/** A stable error code, a key of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of {@link MailregError}. */
export interface MailregErrorOptions {
  /** The error this one wraps (a library error, a parse error …); never holds a secret. */
  cause?: unknown;
  /** Machine-readable detail for callers and API responses (field names, line numbers, ids). */
  details?: Record<string, unknown>;
}

/**
 * The one error class callers branch on, by `code`.
 *
 * @example
 * ```ts
 * import { MailregError } from "@mailreg/core";
 * try {
 *   throw new MailregError("NOT_FOUND", "Registration 0193 does not exist");
 * } catch (e) {
 *   if (e instanceof MailregError && e.code === "NOT_FOUND") console.log(e.message);
 * }
 * ```
 */
export class MailregError extends Error {
  /** The stable code. */
  readonly code: ErrorCode;
  /** Machine-readable detail (never a secret). */
  readonly details: Record<string, unknown> | undefined;

  /**
   * @param code a key of {@link ERROR_CODES}
   * @param message a sentence-case message without a final full stop; defaults to the code's description
   * @param options cause and details
   */
  constructor(code: ErrorCode, message?: string, options: MailregErrorOptions = {}) {
    super(message ?? ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MailregError";
    this.code = code;
    this.details = options.details;
  }

  /** A JSON shape safe to return from an API: `{ code, message, details? }`. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Whether `error` is a {@link MailregError}, optionally with the given code.
 *
 * @param error anything caught
 * @param code the code to match
 * @returns true when it is a MailregError (with that code)
 */
export function isMailregError(error: unknown, code?: ErrorCode): error is MailregError {
  return error instanceof MailregError && (code === undefined || error.code === code);
}

/** libSQL/SQLite codes that mean the database cannot be used right now. */
const _STORE_UNAVAILABLE =
  /^(SQLITE_BUSY|SQLITE_LOCKED|SQLITE_IOERR|SQLITE_CANTOPEN|SQLITE_FULL|SQLITE_READONLY|CLIENT_CLOSED|SERVER_ERROR|HRANA_|HTTP_|WEBSOCKET_|STREAM_)/;

/**
 * What a run, a check or a send reports for any error: always a documented code (a key of
 * {@link ERROR_CODES}) and a message. A {@link MailregError} anywhere in the cause chain gives its own;
 * a database that refused a commit (`SQLITE_CONSTRAINT…`) is STORE_CONSTRAINT and one that cannot be
 * used STORE_UNAVAILABLE, with the database's own message (never the query's parameters); anything
 * else is INTERNAL.
 *
 * @param error anything caught
 * @returns the code and message to record
 * @example
 * ```ts
 * import { errorInfo } from "@mailreg/core";
 * const refused = Object.assign(new Error("UNIQUE constraint failed: t.id"), { code: "SQLITE_CONSTRAINT" });
 * console.log(errorInfo(new Error("Failed query", { cause: refused })).code); // STORE_CONSTRAINT
 * ```
 */
export function errorInfo(error: unknown): { code: ErrorCode; message: string } {
  let current: unknown = error;
  let database: Error | undefined;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof MailregError) return { code: current.code, message: current.message };
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (code.startsWith("SQLITE_")) database ??= current;
      if (code.startsWith("SQLITE_CONSTRAINT"))
        return { code: "STORE_CONSTRAINT", message: `${ERROR_CODES.STORE_CONSTRAINT}: ${current.message}` };
      if (_STORE_UNAVAILABLE.test(code))
        return { code: "STORE_UNAVAILABLE", message: `${ERROR_CODES.STORE_UNAVAILABLE} (${code})` };
    }
    current = current.cause;
  }
  // a query wrapper's message carries the query's parameters: the database's own says enough
  const message = database?.message ?? (error instanceof Error ? error.message : String(error));
  return { code: "INTERNAL", message };
}
