import { describe, expect, it } from "vitest";
import { retryDelay } from "./backoff.ts";

describe("retryDelay()", () => {
  it("doubles per attempt from the base, up to the cap, dropping a random part of up to half", () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3, 4].map((n) => retryDelay(n, { baseMs: 1000, maxMs: 5000 }, low))).toEqual([
      500, 1000, 2000, 2500,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelay(n, { baseMs: 1000, maxMs: 5000 }, high))).toEqual([
      999, 1999, 3999, 4999,
    ]);
    expect(retryDelay(1)).toBeGreaterThanOrEqual(30_000);
    expect(retryDelay(30)).toBeLessThanOrEqual(3_600_000);
  });
});
