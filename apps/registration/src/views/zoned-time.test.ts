import { describe, expect, it } from "vitest";
import { isoToLocal, localToIso } from "./zoned-time.ts";

describe("localToIso() and isoToLocal()", () => {
  it("read wall-clock times in the zone, summer and winter", () => {
    expect(localToIso("2026-12-01T09:00", "Europe/Berlin")).toBe("2026-12-01T08:00:00.000Z");
    expect(localToIso("2026-07-01T09:00", "Europe/Berlin")).toBe("2026-07-01T07:00:00.000Z");
    expect(localToIso("2026-07-01T09:00", "UTC")).toBe("2026-07-01T09:00:00.000Z");
    expect(isoToLocal("2026-07-01T07:00:00.000Z", "Europe/Berlin")).toBe("2026-07-01T09:00");
  });

  it("refuses what is not a datetime-local value", () => {
    expect(localToIso("2026-02-30T09:00", "UTC")).toBeUndefined();
    expect(localToIso("tomorrow", "UTC")).toBeUndefined();
  });
});
