import { describe, expect, it } from "vitest";
import { slidingWindow } from "./rate-limit.ts";

describe("slidingWindow()", () => {
  it("allows max requests per window per key, and again as old ones slide out", () => {
    let now = 0;
    const window = slidingWindow({ max: 2, windowSeconds: 10, now: () => now });
    expect(window.hit("a")).toBe(0);
    now = 4_000;
    expect(window.hit("a")).toBe(0);
    expect(window.hit("a")).toBe(6);
    expect(window.hit("b")).toBe(0);
    now = 10_000;
    expect(window.hit("a")).toBe(0);
    expect(window.hit("a")).toBe(4);
  });
});
