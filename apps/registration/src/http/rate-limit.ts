/**
 * Per-client sliding-window rate limits: {@link storeRateLimiter} counts in the database (every app
 * process on it shares one budget, a restart keeps it), the one the registration and sign-in routes
 * use; {@link slidingWindow} counts in this process's memory, for the verify limits (per address and
 * per server, checked inside one submission, where a database write per check is not worth it).
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { hitRateLimit, type Store } from "@mailreg/store";
import { createMiddleware } from "hono/factory";
import { clientKey } from "./client-address.ts";
import type { AppEnv } from "./env.ts";

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Requests allowed per client within the window. */
  max: number;
  /** The window's length in seconds. */
  windowSeconds: number;
  /** The time in ms; default `Date.now`. */
  now?: () => number;
  /** Reverse proxies whose forwarding headers name the client (`server.trustedProxies`). */
  trustedProxies?: readonly string[];
}

/** A sliding window per key: the times of the requests still inside it. */
export interface SlidingWindow {
  /** Counts a request; returns 0 when allowed, else the seconds until one is allowed again. */
  hit(key: string): number;
  /** What {@link SlidingWindow.hit} would answer, without counting. */
  peek(key: string): number;
  /** The reverse proxies the middleware believes about the client (see `clientKey`). */
  readonly trustedProxies: readonly string[];
}

/** A limit the {@link rateLimit} middleware counts against. */
export interface RateLimiter {
  /** Counts a request; resolves to 0 when allowed, else the seconds until one is allowed again. */
  hit(key: string): number | Promise<number>;
  /** The reverse proxies the middleware believes about the client (see `clientKey`). */
  readonly trustedProxies: readonly string[];
}

/**
 * A sliding-window limit counted in the store's `rate_limit_hits` table: shared by every process
 * on the database, kept across restarts.
 *
 * @param store the open store
 * @param scope the limit's name (limits with different names count apart)
 * @param options limit, window, clock and trusted proxies
 * @returns the limiter
 */
export function storeRateLimiter(store: Store, scope: string, options: RateLimitOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const { max, windowSeconds } = options;
  return {
    trustedProxies: options.trustedProxies ?? [],
    hit: (key) => hitRateLimit(store, { scope, key, max, windowSeconds, now: new Date(now()) }),
  };
}

/**
 * A sliding-window counter in this process's memory. Keys whose requests have all left the window are dropped as it goes.
 *
 * @param options limit, window and clock
 * @returns the counter
 */
export function slidingWindow(options: RateLimitOptions): SlidingWindow {
  const now = options.now ?? Date.now;
  const windowMs = options.windowSeconds * 1000;
  const hits = new Map<string, number[]>();
  let lastSweep = now();
  const wait = (times: number[], t: number) => Math.max(1, Math.ceil((times[0]! + windowMs - t) / 1000));
  return {
    trustedProxies: options.trustedProxies ?? [],
    peek(key) {
      const t = now();
      const times = (hits.get(key) ?? []).filter((time) => time > t - windowMs);
      return times.length >= options.max ? wait(times, t) : 0;
    },
    hit(key) {
      const t = now();
      if (t - lastSweep > windowMs) {
        for (const [k, times] of hits) if ((times.at(-1) ?? 0) <= t - windowMs) hits.delete(k);
        lastSweep = t;
      }
      const times = (hits.get(key) ?? []).filter((time) => time > t - windowMs);
      if (times.length >= options.max) {
        hits.set(key, times);
        return wait(times, t);
      }
      times.push(t);
      hits.set(key, times);
      return 0;
    },
  };
}

/**
 * The rate-limit middleware: counts each request per client address (the runtime adapter's
 * `remoteAddress`, or the host's server's when mounted: client-address.ts) and refuses with
 * RATE_LIMITED (`details.retryAfterSeconds`) over the limit.
 *
 * @param limiter the counter (share one between the routes that share a limit)
 * @returns the middleware
 */
export function rateLimit(limiter: RateLimiter) {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const client = clientKey(c, limiter.trustedProxies);
    const wait = await limiter.hit(client);
    if (wait > 0) {
      throw new MailregError("RATE_LIMITED", `Too many requests: try again in ${wait} s`, {
        details: { retryAfterSeconds: wait },
      });
    }
    await next();
  });
}
