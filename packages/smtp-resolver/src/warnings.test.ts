import type { Security, SmtpAuthMethod } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { effectiveSecurity } from "./security.ts";
import { smtpWarnings } from "./warnings.ts";

function codes(
  host: string,
  port: number,
  options: { security?: Security; auth?: SmtpAuthMethod; verify?: boolean; servername?: string } = {},
) {
  return smtpWarnings({
    host,
    port,
    security: effectiveSecurity({ port, security: options.security }),
    authMethod: options.auth ?? "plain",
    tls: {
      verify: options.verify ?? true,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    },
  }).map((w) => `${w.severity}:${w.code}`);
}

describe("smtpWarnings()", () => {
  it("has nothing to say about STARTTLS on 587 or TLS on 465 with certificate checking", () => {
    expect(codes("smtp.example.org", 587)).toEqual([]);
    expect(codes("smtp.example.org", 465)).toEqual([]);
  });

  it("warns loudly when certificate checking is off, and that an alternative name is then ignored", () => {
    expect(codes("smtp.example.org", 587, { verify: false })).toEqual(["danger:tls-verify-off"]);
    expect(codes("smtp.example.org", 587, { verify: false, servername: "alt.example.org" })).toEqual([
      "danger:tls-verify-off",
      "warning:servername-ignored",
    ]);
    const [w] = smtpWarnings({
      host: "smtp.example.org",
      port: 587,
      security: effectiveSecurity({ port: 587 }),
      authMethod: "none",
      tls: { verify: false },
    });
    expect(w?.message).toMatch(/^CERTIFICATE CHECKING IS OFF for smtp\.example\.org:587/);
  });

  it("warns that a password crosses the network in clear with security none or opportunistic STARTTLS", () => {
    expect(codes("smtp.example.org", 587, { security: "none" })).toEqual([
      "danger:cleartext-auth",
      "warning:security-port-mismatch",
    ]);
    expect(codes("smtp.example.org", 25)).toEqual(["danger:cleartext-auth"]);
    expect(codes("smtp.example.org", 2525, { security: "none" })).toEqual(["danger:cleartext-auth"]);
  });

  it("does not warn about clear text without a login or on loopback", () => {
    expect(codes("smtp.example.org", 25, { auth: "none" })).toEqual([]);
    for (const host of ["localhost", "127.0.0.1", "::1", "[::1]"])
      expect(codes(host, 25, { security: "none" })).toEqual([]);
  });

  it("advises 587 for Exchange and Office 365 on 465 (implicit TLS)", () => {
    expect(codes("smtp.office365.com", 465, { auth: "xoauth2" })).toEqual(["warning:exchange-implicit-tls"]);
    expect(codes("exchange.corp.example", 465)).toEqual(["warning:exchange-implicit-tls"]);
    expect(codes("mail-exchange.corp.example", 2525, { security: "tls" })).toEqual([
      "warning:exchange-implicit-tls",
    ]);
    expect(codes("smtp.office365.com", 587, { auth: "xoauth2" })).toEqual([]);
    expect(codes("exchanger.example.org", 465)).toEqual([]);
  });

  it("tells Office 365 users that password authentication is gone", () => {
    expect(codes("smtp.office365.com", 587, { auth: "login" })).toEqual(["warning:office365-basic-auth"]);
    expect(codes("smtp-mail.outlook.com", 587, { auth: "plain" })).toEqual(["warning:office365-basic-auth"]);
  });

  it("warns when an explicit security contradicts the port's usual meaning", () => {
    expect(codes("smtp.example.org", 465, { security: "starttls" })).toEqual([
      "warning:security-port-mismatch",
    ]);
    expect(codes("smtp.example.org", 587, { security: "tls" })).toEqual(["warning:security-port-mismatch"]);
    expect(codes("smtp.example.org", 587, { security: "starttls" })).toEqual([]);
    expect(codes("smtp.example.org", 2525, { security: "tls" })).toEqual([]);
  });
});
