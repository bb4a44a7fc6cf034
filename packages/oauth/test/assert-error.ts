// Test helpers: expect a MailregError of a code, and check that no secret leaks through an error.
import { inspect } from "node:util";
import { type ErrorCode, MailregError } from "@mailreg/core";
import { expect } from "vitest";

/** Awaits `promise`, expects it to reject with a MailregError of `code`, and returns the error. */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<MailregError> {
  const error = await promise.then(
    () => expect.fail(`expected a rejection with ${code}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MailregError);
  expect((error as MailregError).code).toBe(code);
  return error as MailregError;
}

/** Expects none of `secrets` in the error's message, its JSON, or its full inspection (cause, details, stack). */
export function expectNoSecret(error: unknown, ...secrets: string[]): void {
  const texts = [(error as Error).message, JSON.stringify(error), inspect(error, { depth: 10 })];
  for (const secret of secrets) {
    for (const text of texts) expect(text).not.toContain(secret);
  }
}
