import { describe, expect, it } from "vitest";
import { ID_PATTERN, idTime, isId, newId } from "./ids.ts";

describe("newId()", () => {
  it("makes lower-case UUIDv7 strings with the RFC 9562 version and variant bits", () => {
    const id = newId();
    expect(id).toMatch(ID_PATTERN);
    expect(id[14]).toBe("7");
    expect("89ab").toContain(id[19]);
  });

  it("sorts in creation order, also thousands within one millisecond", () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("encodes the creation time in the first 48 bits", () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    // the counter may carry the timestamp a few ms ahead when ids are made faster than 2048/ms
    expect(idTime(id).getTime()).toBeGreaterThanOrEqual(before);
    expect(idTime(id).getTime()).toBeLessThanOrEqual(after + 50);
  });
});

describe("isId()", () => {
  it("accepts what newId() makes and refuses other strings and values", () => {
    expect(isId(newId())).toBe(true);
    expect(isId(newId().toUpperCase())).toBe(false);
    expect(isId("0193e4a0-0000-4000-8000-000000000000")).toBe(false); // v4
    expect(isId("not-an-id")).toBe(false);
    expect(isId(42)).toBe(false);
    expect(isId(undefined)).toBe(false);
  });
});
