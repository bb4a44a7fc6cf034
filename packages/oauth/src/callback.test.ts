import { describe, expect, it } from "vitest";
import { readAuthorizationCode } from "./callback.ts";

const CALLBACK = "https://reg.example.org/oauth/callback";

describe("readAuthorizationCode()", () => {
  it("returns the code when the state matches", () => {
    expect(readAuthorizationCode(`${CALLBACK}?code=c-1&state=s-1`, "s-1")).toBe("c-1");
  });

  it("refuses an answer with another or no state, even one that carries a code", () => {
    for (const query of ["?code=c-1&state=s-2", "?code=c-1", "?error=access_denied"]) {
      expect(() => readAuthorizationCode(`${CALLBACK}${query}`, "s-1")).toThrow(
        expect.objectContaining({ code: "OAUTH_STATE_MISMATCH" }),
      );
    }
    expect(() => readAuthorizationCode(`${CALLBACK}?code=c-1&state=`, "")).toThrow(
      expect.objectContaining({ code: "OAUTH_STATE_MISMATCH" }),
    );
  });

  it("tells the owner declined, with the provider's error in details", () => {
    const url = `${CALLBACK}?error=access_denied&error_description=The+user+denied&state=s-1`;
    expect(() => readAuthorizationCode(url, "s-1")).toThrow(
      expect.objectContaining({
        code: "OAUTH_REQUEST",
        message: "The sign-in was declined at the provider",
        details: { error: "access_denied", error_description: "The user denied" },
      }),
    );
  });

  it("refuses an answer without a code", () => {
    expect(() => readAuthorizationCode(`${CALLBACK}?state=s-1`, "s-1")).toThrow(
      expect.objectContaining({ code: "OAUTH_UNEXPECTED_RESPONSE" }),
    );
  });
});
