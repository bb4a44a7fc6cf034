import { isMailregError } from "@mailreg/core";
import { testProfile } from "@mailreg/crypto-registry/testing";
import { describe, expect, it } from "vitest";
import { credentialsFor } from "./credentials.ts";
import { requireResolved, resolve, type SmtpMailbox } from "./resolve.ts";

const mailbox: SmtpMailbox = {
  id: "mb-1",
  address: "ann@example.org",
  instanceId: "sales",
  template: null,
  login: "ann@example.org",
  authMethod: "password",
};

describe("credentialsFor()", () => {
  it("uses the level's own user and password", () => {
    const r = requireResolved(
      resolve({
        default: { host: "h", port: 587, auth: { method: "login", user: "relay", password: "relay-pw" } },
      }),
    );
    expect(credentialsFor(r, {})).toEqual({ method: "login", user: "relay", password: "relay-pw" });
  });

  it("uses the mailbox's password from its opened profile", () => {
    const r = requireResolved(
      resolve({ mailbox, default: { host: "h", port: 587, auth: { method: "cram-md5" } } }),
    );
    const profile = testProfile({ auth: { method: "password", password: "mailbox-pw" } });
    expect(credentialsFor(r, { mailbox, profile })).toEqual({
      method: "cram-md5",
      user: "ann@example.org",
      password: "mailbox-pw",
    });
  });

  it("refuses to guess when the mailbox's password is needed but its profile was not given", () => {
    const r = requireResolved(
      resolve({ mailbox, default: { host: "h", port: 587, auth: { method: "plain" } } }),
    );
    expect(() => credentialsFor(r, { mailbox })).toThrow(/needs the mailbox's password/);
  });

  it("asks the token source for XOAUTH2, passing the mailbox and whether to renew", async () => {
    const oauth = { ...mailbox, authMethod: "oauth2" as const };
    const r = requireResolved(
      resolve({
        mailbox: oauth,
        default: { host: "smtp.gmail.com", port: 587, auth: { method: "xoauth2" } },
      }),
    );
    const calls: [string, boolean][] = [];
    const c = credentialsFor(r, {
      mailbox: oauth,
      getAccessToken: async (m, renew) => {
        calls.push([m.id, renew]);
        return "tok";
      },
    });
    expect(c.method === "xoauth2" && c.user).toBe("ann@example.org");
    expect(c.method === "xoauth2" && (await c.accessToken(true))).toBe("tok");
    expect(calls).toEqual([["mb-1", true]]);
    let thrown: unknown;
    try {
      credentialsFor(r, { mailbox: oauth });
    } catch (error) {
      thrown = error;
    }
    expect(isMailregError(thrown, "MAIL_AUTH_FAILED")).toBe(true);
  });

  it("needs nothing for method none", () => {
    const r = requireResolved(resolve({ default: { host: "localhost", port: 25 } }));
    expect(credentialsFor(r, {})).toEqual({ method: "none" });
  });
});
