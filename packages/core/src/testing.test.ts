import { describe, expect, it } from "vitest";
import { MailregError } from "./errors.ts";
import { RegistrationRecordSchema } from "./registration.ts";
import { expectMailregError, expectNoSecret, sampleConfig, sampleRegistration } from "./testing.ts";

describe("testing fakes", () => {
  it("sampleRegistration() is a valid record with a fresh id each time", () => {
    const a = sampleRegistration();
    expect(RegistrationRecordSchema.parse(a)).toEqual(a);
    expect(sampleRegistration().id).not.toBe(a.id);
  });

  it("sampleRegistration() applies overrides", () => {
    expect(sampleRegistration({ status: "applied", port: 143 })).toMatchObject({
      status: "applied",
      port: 143,
    });
  });

  it("sampleConfig() offers its server template through an open registration", () => {
    const c = sampleConfig();
    expect(c.registration.templates).toEqual(["example-imap"]);
    expect(c.servers[0]).toMatchObject({ id: "example-imap", port: 993 });
    expect(c.instances.map((i) => i.id)).toEqual(["main"]);
  });

  it("sampleConfig() replaces whole sections and validates the result", () => {
    expect(sampleConfig({ server: { port: 0 } }).server).toEqual({
      host: "127.0.0.1",
      port: 0,
      trustedProxies: [],
    });
    expect(() => sampleConfig({ registration: { templates: ["missing"] } })).toThrow(/no server template/);
  });
});

describe("error assertions", () => {
  it("expectMailregError() returns the error of the expected code and fails on anything else", async () => {
    const gone = new MailregError("NOT_FOUND", "Mailbox m1 does not exist");
    expect(await expectMailregError(Promise.reject(gone), "NOT_FOUND")).toBe(gone);
    await expect(expectMailregError(Promise.resolve(1), "NOT_FOUND")).rejects.toThrow(/but it resolved/);
    await expect(expectMailregError(Promise.reject(gone), "CONFLICT")).rejects.toThrow(
      /Expected a MailregError CONFLICT, got NOT_FOUND: Mailbox m1 does not exist/,
    );
    await expect(expectMailregError(Promise.reject(new TypeError("x")), "NOT_FOUND")).rejects.toThrow(
      /got TypeError: x/,
    );
  });

  it("expectNoSecret() finds a secret in the message, the details or deep in the cause, without repeating it", () => {
    const clean = new MailregError("MAIL_AUTH_FAILED", "Login refused", {
      details: { host: "imap.example.com" },
      cause: new Error("535 Authentication failed"),
    });
    expect(() => expectNoSecret(clean, "hunter2")).not.toThrow();
    const inDetails = new MailregError("MAIL_AUTH_FAILED", "Login refused", {
      details: { said: "pw hunter2" },
    });
    expect(() => expectNoSecret(inDetails, "other", "hunter2")).toThrow(/^Secret #2 appears/);
    const thrown = (() => {
      try {
        expectNoSecret(inDetails, "hunter2");
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(thrown).toContain("pw ***");
    expect(thrown).not.toContain("hunter2");
    const deep = new MailregError("MAIL_AUTH_FAILED", "Login refused", {
      cause: new Error("outer", { cause: new Map([["token", "ya29.hunter2"]]) }),
    });
    expect(() => expectNoSecret(deep, "hunter2")).toThrow(
      /^Secret #1 appears in the error \(in .*ya29\.\*\*\*/,
    );
  });
});
