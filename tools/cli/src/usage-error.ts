/**
 * A mistake in how the command was called (exit code 2), as opposed to a failure (exit code 1).
 *
 * @module
 */

/** Raised for unknown commands or options and missing arguments. */
export class UsageError extends Error {
  /** @param message what is wrong with the call, in sentence case */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
