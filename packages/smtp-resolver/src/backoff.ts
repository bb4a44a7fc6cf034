/**
 * When a temporarily refused message is tried again: exponential backoff with jitter.
 *
 * @module
 */

/** Retry policy of the outbox. */
export interface BackoffOptions {
  /** The delay after the first failed attempt, in ms. Default 60,000. */
  baseMs?: number;
  /** The longest delay, in ms. Default 3,600,000 (one hour). */
  maxMs?: number;
  /** After this many attempts a temporary failure fails for good. Default 12 (about half a day). */
  maxAttempts?: number;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  baseMs: 60_000,
  maxMs: 3_600_000,
  maxAttempts: 12,
};

/**
 * The delay before the next attempt: `baseMs · 2^(attempts−1)`, at most `maxMs`, of which a random
 * half is dropped ("equal jitter"), so deliverers that failed together do not retry together.
 *
 * @param attempts attempts made so far (1 after the first)
 * @param options base, cap
 * @param random a number in [0, 1) (default `Math.random`)
 * @returns the delay in ms
 * @example
 * ```ts
 * import { retryDelay } from "@mailreg/smtp-resolver";
 * console.log(retryDelay(1, { baseMs: 1000 }, () => 0), retryDelay(3, { baseMs: 1000 }, () => 0.999)); // 500 3998
 * ```
 */
export function retryDelay(
  attempts: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const cap = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const delay = Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
  return Math.floor(delay / 2 + random() * (delay / 2));
}
