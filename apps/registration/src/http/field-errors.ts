/**
 * Per-field errors: a stable code per field (messages come from the language catalogs), carried by
 * a {@link MailregError} in `details.fieldErrors`.
 *
 * @module
 */
import { type ErrorCode, isMailregError, MailregError } from "@mailreg/core";
import type { MessageKey } from "../i18n/en.ts";
import type { Translate } from "../i18n/i18n.ts";

/** Why a field was refused. */
export type FieldErrorCode =
  | "required"
  | "too-long"
  | "invalid"
  | "control-character"
  | "address-invalid"
  | "address-unusual"
  | "domain-not-allowed"
  | "unknown-template"
  | "custom-server-not-allowed"
  | "host-invalid"
  | "host-not-allowed"
  | "port-not-allowed"
  | "insecure-not-allowed"
  | "port-range"
  | "login-refused"
  | "sign-in-failed"
  | "unreachable"
  | "tls"
  | "protocol";

/** One field's problem; `max` for too-long, `reason` for address-invalid. */
export interface FieldError {
  code: FieldErrorCode;
  max?: number;
  reason?: string;
}

/** Problems by field name (`address`, `server.host` …). */
export type FieldErrors = Record<string, FieldError>;

/**
 * The error for refused fields.
 *
 * @param code the error's code (VALIDATION, MAIL_AUTH_FAILED …)
 * @param fields the problems by field
 * @returns the error, with `details.fieldErrors`
 */
export function fieldsError(code: ErrorCode, fields: FieldErrors): MailregError {
  const names = Object.keys(fields).join(", ");
  return new MailregError(code, `Not accepted: ${names}`, { details: { fieldErrors: fields } });
}

/**
 * The field problems an error carries: our own `fieldErrors`, or the field names other packages put
 * in `details.fields`.
 *
 * @param error anything caught
 * @returns the problems, or undefined when the error names no field
 */
export function fieldErrorsOf(error: unknown): FieldErrors | undefined {
  if (!isMailregError(error)) return undefined;
  const own = error.details?.fieldErrors;
  if (typeof own === "object" && own !== null) return own as FieldErrors;
  const names = error.details?.fields;
  if (!Array.isArray(names)) return undefined;
  return Object.fromEntries(names.map((name) => [String(name), { code: "invalid" as const }]));
}

/**
 * A field problem in words.
 *
 * @param error the problem
 * @param t the message lookup
 * @returns the message
 */
export function fieldMessage(error: FieldError, t: Translate): string {
  return t(`field.${error.code}` as MessageKey, error.max === undefined ? {} : { max: error.max });
}
