/**
 * Rate limits counted in the database: every app process on the same database shares one budget per
 * client, and a restart does not reset it. A sliding window: a hit is allowed while fewer than `max`
 * hits of the same scope and key lie within the last `windowSeconds`.
 *
 * @module
 */
import { and, count, eq, gt, lte, max, min } from "drizzle-orm";
import { rateLimitHits } from "./schema.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** One request to count against a limit. */
export interface RateLimitHit {
  /** Which limit (`register`, `admin-login`): limits with different scopes count apart. */
  scope: string;
  /** The client (its address, IPv6 by /64). */
  key: string;
  /** Requests allowed within the window. */
  max: number;
  /** The window's length in seconds. */
  windowSeconds: number;
  /** When (default now). */
  now?: Date;
}

/**
 * Counts a request against a limit, in one write transaction (two processes cannot both take the
 * last place), and prunes the scope's hits that have left the window. A refused request is not counted.
 *
 * @param store the open store
 * @param hit the scope, client, limit and time
 * @returns 0 when allowed, else the seconds until a request is allowed again (at least 1)
 * @example
 * ```ts
 * import { hitRateLimit, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * const limit = { scope: "register", key: "192.0.2.7", max: 1, windowSeconds: 60 };
 * console.log(await hitRateLimit(store, limit), await hitRateLimit(store, limit)); // 0 60
 * store.close();
 * ```
 */
export async function hitRateLimit(store: Store, hit: RateLimitHit): Promise<number> {
  const t = (hit.now ?? new Date()).getTime();
  const windowMs = hit.windowSeconds * 1000;
  const at = new Date(t).toISOString();
  const cutoff = new Date(t - windowMs).toISOString();
  return await writeTransaction(store, async (tx) => {
    await tx
      .delete(rateLimitHits)
      .where(and(eq(rateLimitHits.scope, hit.scope), lte(rateLimitHits.at, cutoff)))
      .run();
    const row = await tx
      .select({ n: count(), first: min(rateLimitHits.at) })
      .from(rateLimitHits)
      .where(
        and(eq(rateLimitHits.scope, hit.scope), eq(rateLimitHits.key, hit.key), gt(rateLimitHits.at, cutoff)),
      )
      .get();
    if (row !== undefined && row.n >= hit.max && row.first !== null) {
      return Math.max(1, Math.ceil((Date.parse(row.first) + windowMs - t) / 1000));
    }
    await tx.insert(rateLimitHits).values({ scope: hit.scope, key: hit.key, at }).run();
    return 0;
  });
}

/** A scope and key whose recent hits to read, add to or clear: {@link RateLimitHit} without the limit. */
export interface RateLimitKey {
  /** Which counter (`admin-sign-in-failures`). */
  scope: string;
  /** Whose (an account name, a client). */
  key: string;
  /** How far back hits count, in seconds. */
  windowSeconds: number;
  /** When (default now). */
  now?: Date;
}

/**
 * The hits of a scope and key within the window: how many, and when the last was. For counters
 * that are not a plain limit (the sign-in backoff: failures in a row, the lock growing with them).
 *
 * @param store the open store
 * @param which the scope, key, window and time
 * @returns the count and the last hit's time (undefined when none)
 */
export async function recentRateLimitHits(
  store: Store,
  which: RateLimitKey,
): Promise<{ count: number; last: Date | undefined }> {
  const t = (which.now ?? new Date()).getTime();
  const cutoff = new Date(t - which.windowSeconds * 1000).toISOString();
  const row = await store.db
    .select({ n: count(), last: max(rateLimitHits.at) })
    .from(rateLimitHits)
    .where(
      and(
        eq(rateLimitHits.scope, which.scope),
        eq(rateLimitHits.key, which.key),
        gt(rateLimitHits.at, cutoff),
      ),
    )
    .get();
  return { count: row?.n ?? 0, last: row?.last == null ? undefined : new Date(row.last) };
}

/**
 * Adds a hit unconditionally (pruning the scope's hits older than the window).
 *
 * @param store the open store
 * @param which the scope, key, window and time
 * @returns the hits within the window, this one included
 */
export async function addRateLimitHit(store: Store, which: RateLimitKey): Promise<number> {
  const t = (which.now ?? new Date()).getTime();
  const cutoff = new Date(t - which.windowSeconds * 1000).toISOString();
  return await writeTransaction(store, async (tx) => {
    await tx
      .delete(rateLimitHits)
      .where(and(eq(rateLimitHits.scope, which.scope), lte(rateLimitHits.at, cutoff)))
      .run();
    await tx
      .insert(rateLimitHits)
      .values({ scope: which.scope, key: which.key, at: new Date(t).toISOString() })
      .run();
    const row = await tx
      .select({ n: count() })
      .from(rateLimitHits)
      .where(
        and(
          eq(rateLimitHits.scope, which.scope),
          eq(rateLimitHits.key, which.key),
          gt(rateLimitHits.at, cutoff),
        ),
      )
      .get();
    return row?.n ?? 1;
  });
}

/**
 * Forgets every hit of a scope and key (a successful sign-in ends the failures in a row).
 *
 * @param store the open store
 * @param scope the counter
 * @param key whose
 */
export async function clearRateLimitHits(store: Store, scope: string, key: string): Promise<void> {
  await writeTransaction(store, (tx) =>
    tx
      .delete(rateLimitHits)
      .where(and(eq(rateLimitHits.scope, scope), eq(rateLimitHits.key, key)))
      .run(),
  );
}
