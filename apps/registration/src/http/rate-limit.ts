/**
 * A per-client sliding-window rate limit, kept in this process's memory: several app processes
 * each count alone.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
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

/**
 * A sliding-window counter. Keys whose requests have all left the window are dropped as it goes.
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
 * @param window the counter (share one between the routes that share a limit)
 * @returns the middleware
 */
export function rateLimit(window: SlidingWindow) {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const client = clientKey(c, window.trustedProxies);
    const wait = window.hit(client);
    if (wait > 0) {
      throw new MailregError("RATE_LIMITED", `Too many requests: try again in ${wait} s`, {
        details: { retryAfterSeconds: wait },
      });
    }
    await next();
  });
}
