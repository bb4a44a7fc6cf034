/**
 * Page sizes of list queries.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";

/**
 * A page size: `value` when it is an integer from 1 to `max`, `fallback` when it is not given.
 *
 * @param value the caller's limit
 * @param fallback the default
 * @param max the largest allowed
 * @returns the limit to use
 * @throws {MailregError} VALIDATION for a limit out of range
 */
export function pageLimit(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new MailregError("VALIDATION", `The limit must be an integer from 1 to ${max}`, {
      details: { limit: value },
    });
  }
  return value;
}
