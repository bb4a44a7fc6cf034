import { expectNoSecret } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { oauthbearerString, xoauth2String } from "./sasl.ts";

describe("SASL strings", () => {
  it("xoauth2String() gives the string of Google's XOAUTH2 documentation", () => {
    expect(xoauth2String("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")).toBe(
      "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
    );
  });

  it("oauthbearerString() gives RFC 7628's example, and escapes ',' and '=' in the login", () => {
    const token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
    expect(oauthbearerString("user@example.com", token, { host: "server.example.com", port: 143 })).toBe(
      "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB",
    );
    const decoded = Buffer.from(oauthbearerString("a,b=c", "t"), "base64").toString();
    expect(decoded).toBe("n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01");
  });

  it("encodes a non-ASCII login as UTF-8", () => {
    const decoded = Buffer.from(xoauth2String("jörg@exämple.de", "t"), "base64").toString("utf8");
    expect(decoded).toBe("user=jörg@exämple.de\x01auth=Bearer t\x01\x01");
  });

  it("refuses a login or token with control characters, without the token in the error", () => {
    expect(() => xoauth2String("ann\x01auth=Bearer x", "t")).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    const token = "secret-token\x01user=mallory";
    let caught: unknown;
    try {
      oauthbearerString("ann@example.org", token);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "VALIDATION", details: { field: "accessToken" } });
    expectNoSecret(caught, "secret-token");
  });
});
