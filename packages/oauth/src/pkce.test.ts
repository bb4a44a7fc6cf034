import { describe, expect, it } from "vitest";
import { createS256CodeChallenge, generateCodeVerifier, generateNonce, generateState } from "./pkce.ts";

describe("PKCE, state and nonce", () => {
  it("createS256CodeChallenge() gives RFC 7636's challenge for its example verifier", async () => {
    expect(await createS256CodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("generates 43 unreserved characters, different every time", () => {
    for (const generate of [generateCodeVerifier, generateState, generateNonce]) {
      const values = Array.from({ length: 100 }, generate);
      for (const value of values) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Set(values).size).toBe(100);
    }
  });
});
