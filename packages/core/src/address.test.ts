import { describe, expect, it } from "vitest";
import { addressDomain, addressKey, normalizeAddress, normalizeDomain, sameAddress } from "./address.ts";
import { MailregError } from "./errors.ts";

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MailregError);
    expect((error as MailregError).code).toBe("ADDRESS_INVALID");
    return (error as MailregError).details?.reason;
  }
  throw new Error("expected ADDRESS_INVALID");
}

describe("normalizeAddress()", () => {
  it.each([
    ["alice@example.com", "alice@example.com"],
    ["  Alice@EXAMPLE.com\t", "Alice@example.com"],
    ["Jörg@Bücher.Example", "Jörg@xn--bcher-kva.example"],
    ["user@faß.de", "user@xn--fa-hia.de"],
    ["用户@例え.テスト", "用户@xn--r8jz45g.xn--zckzah"],
    ["a@ｅｘａｍｐｌｅ.com", "a@example.com"],
    ["a@b．com", "a@b.com"],
    ["first.last+tag@sub.example.org", "first.last+tag@sub.example.org"],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['"a@b"@example.com', '"a@b"@example.com'],
    ["a@[192.0.2.1]", "a@[192.0.2.1]"],
    ["a@[IPv6:2001:DB8:0:0:0:0:0:1]", "a@[IPv6:2001:db8::1]"],
    ["postmaster@localhost", "postmaster@localhost"],
    ["a@xn--bcher-kva.example", "a@xn--bcher-kva.example"],
  ])("normalizeAddress(%j) is %j", (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });

  it("keeps the local part's case and lower-cases only the domain", () => {
    expect(normalizeAddress("MiXeD@MiXeD.Example")).toBe("MiXeD@mixed.example");
  });

  it("is idempotent: a normalised address normalises to itself", () => {
    for (const a of ["Jörg@Bücher.Example", '"x y"@Example.com', "a@[IPv6:2001:db8::1]"]) {
      const once = normalizeAddress(a);
      expect(normalizeAddress(once)).toBe(once);
    }
  });

  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["a@b.com\r\nBcc: victim@example.com", "control-character"],
    ["a\n@b.com", "control-character"],
    ["a\u0000@b.com", "control-character"],
    ["a@b.com\u0085", "control-character"],
    ["a\u2028b@c.com", "control-character"],
    ["alice.example.com", "missing-at"],
    ["alice＠example.com", "missing-at"],
    ["a@b@c", "multiple-at"],
    ["a@b@example.com", "multiple-at"],
    ['"a"@b@example.com', "multiple-at"],
    ["@example.com", "local-empty"],
    [`${"x".repeat(65)}@example.com`, "local-too-long"],
    [`${"ü".repeat(33)}@example.com`, "local-too-long"],
    ["a b@example.com", "local-invalid"],
    [".a@example.com", "local-invalid"],
    ["a.@example.com", "local-invalid"],
    ["a..b@example.com", "local-invalid"],
    ["a＠b@example.com", "local-invalid"],
    ["a\u200bb@example.com", "local-invalid"],
    ['"unterminated@example.com', "local-invalid"],
    ['"a"x@example.com', "local-invalid"],
    ["a@", "domain-empty"],
    ["a@example.com.", "domain-invalid"],
    ["a@example.com。", "domain-invalid"],
    ["a@exa mple.com", "domain-invalid"],
    ["a@example..com", "domain-invalid"],
    ["a@-example.com", "domain-invalid"],
    ["a@example-.com", "domain-invalid"],
    ["a@under_score.com", "domain-invalid"],
    ["a@evil.com/x", "domain-invalid"],
    ["a@evil.com:25", "domain-invalid"],
    ["a@ex%61mple.com", "domain-invalid"],
    ["a@b.c：80", "domain-invalid"],
    ["a@xn--zz.com", "domain-invalid"],
    [`a@${"x".repeat(64)}.com`, "domain-too-long"],
    [`a@${Array(64).fill("abc").join(".")}`, "domain-too-long"],
    ["a@192.0.2.1", "domain-ip-literal"],
    ["a@0x7f.1", "domain-ip-literal"],
    ["a@1.2.3.999", "domain-ip-literal"],
    ["a@[192.0.2.256]", "ip-literal-invalid"],
    ["a@[IPv6:zz::1]", "ip-literal-invalid"],
    ["a@[example.com]", "ip-literal-invalid"],
  ])("refuses %j with reason %j", (input, reason) => {
    expect(reasonOf(() => normalizeAddress(input))).toBe(reason);
  });

  it("refuses a non-string with reason not-a-string", () => {
    expect(reasonOf(() => normalizeAddress(undefined as unknown as string))).toBe("not-a-string");
  });

  it("accepts exactly 64 octets of local part and 254 octets in total", () => {
    const local = "x".repeat(64);
    const domain = [63, 63, 61].map((n) => "d".repeat(n)).join(".");
    expect(`${local}@${domain}`.length).toBe(254);
    expect(normalizeAddress(`${local}@${domain}`)).toBe(`${local}@${domain}`);
  });

  it("refuses 255 octets in total, and a huge input before looking at it", () => {
    const domain = [63, 63, 62].map((n) => "d".repeat(n)).join(".");
    expect(reasonOf(() => normalizeAddress(`${"x".repeat(64)}@${domain}`))).toBe("too-long");
    expect(reasonOf(() => normalizeAddress(`${"x".repeat(5000)}@example.com`))).toBe("too-long");
  });

  it("says why in the message and puts no part of the address in it", () => {
    try {
      normalizeAddress("secret-looking@@example.com");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe("The address has more than one @ outside quotes");
      expect((error as Error).message).not.toContain("secret");
    }
  });
});

describe("normalizeDomain()", () => {
  it("lower-cases and IDNA-encodes", () => {
    expect(normalizeDomain("Bücher.Example")).toBe("xn--bcher-kva.example");
  });
  it("refuses a bracketed literal, which only an address may carry", () => {
    expect(reasonOf(() => normalizeDomain("[192.0.2.1]"))).toBe("domain-invalid");
  });
});

describe("addressDomain()", () => {
  it("gives the normalised domain", () => {
    expect(addressDomain(" Jörg@Bücher.Example")).toBe("xn--bcher-kva.example");
    expect(addressDomain('"a@b"@Example.COM')).toBe("example.com");
  });
  it("throws ADDRESS_INVALID for an invalid address", () => {
    expect(reasonOf(() => addressDomain("nope"))).toBe("missing-at");
  });
});

describe("sameAddress()", () => {
  it("matches U-label and A-label spellings and any domain case", () => {
    expect(sameAddress("Jörg@Bücher.Example", " Jörg@xn--bcher-kva.EXAMPLE ")).toBe(true);
  });
  it("tells local parts of different case apart", () => {
    expect(sameAddress("Alice@example.com", "alice@example.com")).toBe(false);
  });
  it("is false when either address is invalid", () => {
    expect(sameAddress("a@b@c", "a@b@c")).toBe(false);
  });
});

describe("addressKey()", () => {
  it("lower-cases the local part (any script) and normalises the domain, so Ann@ and ann@ share a key", () => {
    expect(addressKey(" Ann@Example.ORG ")).toBe("ann@example.org");
    expect(addressKey("ann@example.org")).toBe(addressKey("ANN@example.org"));
    expect(addressKey("JÖRG@Bücher.Example")).toBe("jörg@xn--bcher-kva.example");
  });
  it("keeps the local part's case when the comparison is case-sensitive", () => {
    expect(addressKey("Ann@Example.org", { caseSensitive: true })).toBe("Ann@example.org");
    expect(addressKey("ann@example.org", { caseSensitive: true })).not.toBe(
      addressKey("Ann@example.org", { caseSensitive: true }),
    );
  });
  it("throws ADDRESS_INVALID for an invalid address", () => {
    expect(() => addressKey("no-at-sign")).toThrow(MailregError);
  });
});
