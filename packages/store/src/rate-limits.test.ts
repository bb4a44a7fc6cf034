import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addRateLimitHit, clearRateLimitHits, hitRateLimit, recentRateLimitHits } from "./rate-limits.ts";
import { openStore, type Store } from "./store.ts";

let dir: string;
const open: Store[] = [];
const openFile = async () => {
  const store = await openStore({ url: `file:${dir}/limits.db` });
  open.push(store);
  return store;
};
const at = (ms: number) => new Date(Date.UTC(2026, 11, 8) + ms);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-rate-limits-"));
});
afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("hitRateLimit()", () => {
  it("allows max hits per window per scope and key, and again as old ones slide out", async () => {
    const store = await openFile();
    const limit = (key: string, ms: number, scope = "register") =>
      hitRateLimit(store, { scope, key, max: 2, windowSeconds: 10, now: at(ms) });
    expect(await limit("a", 0)).toBe(0);
    expect(await limit("a", 4_000)).toBe(0);
    expect(await limit("a", 4_000)).toBe(6);
    expect(await limit("b", 4_000)).toBe(0);
    expect(await limit("a", 4_000, "admin-login")).toBe(0);
    expect(await limit("a", 10_000)).toBe(0);
    expect(await limit("a", 10_000)).toBe(4);
  });

  it("is one budget for two stores open on the same database file (two app processes)", async () => {
    const one = await openFile();
    const two = await openFile();
    const hit = (store: Store) =>
      hitRateLimit(store, { scope: "register", key: "192.0.2.7", max: 3, windowSeconds: 60, now: at(0) });
    const answers = await Promise.all([hit(one), hit(two), hit(one), hit(two), hit(one)]);
    expect(answers.filter((wait) => wait === 0)).toHaveLength(3);
    expect(answers.filter((wait) => wait === 60)).toHaveLength(2);
  });

  it("survives closing and reopening the database (a restart)", async () => {
    const first = await openFile();
    const hit = (store: Store, ms: number) =>
      hitRateLimit(store, {
        scope: "admin-login",
        key: "2001:db8:1:2::/64",
        max: 1,
        windowSeconds: 300,
        now: at(ms),
      });
    expect(await hit(first, 0)).toBe(0);
    first.close();
    open.splice(0);
    const second = await openFile();
    expect(await hit(second, 100_000)).toBe(200);
    expect(await hit(second, 300_000)).toBe(0);
  });

  it("prunes the hits that left the window", async () => {
    const store = await openFile();
    for (let i = 0; i < 5; i++) {
      await hitRateLimit(store, { scope: "register", key: `k${i}`, max: 1, windowSeconds: 10, now: at(0) });
    }
    await hitRateLimit(store, { scope: "register", key: "late", max: 1, windowSeconds: 10, now: at(20_000) });
    const rows = await store.client.execute("select key from rate_limit_hits");
    expect(rows.rows.map((row) => row.key)).toEqual(["late"]);
  });
});

describe("addRateLimitHit(), recentRateLimitHits(), clearRateLimitHits()", () => {
  it("count every hit within the window, name the last, and forget a key on clear", async () => {
    const one = await openFile();
    const two = await openFile();
    const which = (ms: number) => ({
      scope: "admin-sign-in-failures",
      key: "ann",
      windowSeconds: 60,
      now: at(ms),
    });
    expect(await recentRateLimitHits(one, which(0))).toEqual({ count: 0, last: undefined });
    expect(await addRateLimitHit(one, which(0))).toBe(1);
    expect(await addRateLimitHit(two, which(1_000))).toBe(2);
    expect(await addRateLimitHit(one, which(2_000))).toBe(3);
    expect(await recentRateLimitHits(two, which(2_500))).toEqual({ count: 3, last: at(2_000) });
    expect(await recentRateLimitHits(two, which(61_500))).toEqual({ count: 1, last: at(2_000) });
    await clearRateLimitHits(two, "admin-sign-in-failures", "ann");
    expect(await recentRateLimitHits(one, which(3_000))).toEqual({ count: 0, last: undefined });
  });
});
