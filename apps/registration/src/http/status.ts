/**
 * The one place error codes become HTTP statuses.
 *
 * @module
 */
import type { ErrorCode } from "@mailreg/core";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const _STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  VALIDATION: 400,
  ADDRESS_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  WINDOW_CLOSED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REGISTRATION_NOT_PENDING: 409,
  PROFILE_MISMATCH: 409,
  SEAL_TAMPERED: 409,
  SEAL_BINDING_MISMATCH: 409,
  SEAL_PROFILE_INVALID: 409,
  MESSAGE_RAW_PURGED: 410,
  PAYLOAD_TOO_LARGE: 413,
  INSTANCE_UNKNOWN: 422,
  MAIL_AUTH_FAILED: 422,
  MAIL_CONNECTION_FAILED: 422,
  MAIL_TLS_FAILED: 422,
  MAIL_PROTOCOL: 422,
  MAIL_SIGN_IN_FAILED: 422,
  RATE_LIMITED: 429,
  OAUTH_STATE_MISMATCH: 400,
  OAUTH_ID_TOKEN_INVALID: 400,
  OAUTH_REQUEST: 400,
  OAUTH_INVALID_GRANT: 400,
  OAUTH_UNEXPECTED_RESPONSE: 502,
  OAUTH_UNREACHABLE: 502,
  SEAL_NO_PRIVATE_KEY: 503,
  KEY_NOT_FOUND: 503,
  DEPENDENCY_MISSING: 503,
  STORE_UNAVAILABLE: 503,
  STORE_CONSTRAINT: 409,
};

const _CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: "VALIDATION",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
};

/**
 * The HTTP status of an error code (500 for codes that mean a fault of ours).
 *
 * @param code the error code
 * @returns the status
 */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return _STATUS[code] ?? 500;
}

/**
 * The error code for a bare HTTP status (from Hono's middleware: csrf, bodyLimit, the JSON parser).
 *
 * @param status the status
 * @returns the code
 */
export function codeOfStatus(status: number): ErrorCode {
  return _CODE_OF_STATUS[status] ?? "INTERNAL";
}
