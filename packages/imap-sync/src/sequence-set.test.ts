import { describe, expect, it } from "vitest";
import { toSequenceSet } from "./sequence-set.ts";

describe("toSequenceSet()", () => {
  it("joins runs of consecutive UIDs into ranges so a delete of 10,000 UIDs stays one short command", () => {
    expect(toSequenceSet(Array.from({ length: 10_000 }, (_, i) => i + 1))).toBe("1:10000");
    expect(toSequenceSet([1, 2, 3, 5, 7, 8, 8, 9])).toBe("1:3,5,7:9");
    expect(toSequenceSet([42])).toBe("42");
    expect(toSequenceSet([])).toBe("");
  });
});
