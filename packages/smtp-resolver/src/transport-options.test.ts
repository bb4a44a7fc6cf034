import type { Security } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import type { SmtpCredentials } from "./credentials.ts";
import { effectiveSecurity } from "./security.ts";
import { transportOptions } from "./transport-options.ts";

const none: SmtpCredentials = { method: "none" };
const tlsOn = { verify: true } as const;

// What the user expects each combination to do on the wire, written out (not derived).
const TLS = { secure: true, requireTLS: false, ignoreTLS: false, opportunisticTLS: false };
const STARTTLS = { secure: false, requireTLS: true, ignoreTLS: false, opportunisticTLS: false };
const OPPORTUNISTIC = { secure: false, requireTLS: false, ignoreTLS: false, opportunisticTLS: true };
const PLAIN = { secure: false, requireTLS: false, ignoreTLS: true, opportunisticTLS: false };

const COMBINATIONS: [number, Security | undefined, typeof TLS, string][] = [
  [465, undefined, TLS, "tls/port"],
  [587, undefined, STARTTLS, "starttls/port"],
  [25, undefined, OPPORTUNISTIC, "opportunistic/port"],
  [2525, undefined, OPPORTUNISTIC, "opportunistic/port"],
  [465, "tls", TLS, "tls/explicit"],
  [465, "starttls", STARTTLS, "starttls/explicit"],
  [465, "none", PLAIN, "none/explicit"],
  [587, "tls", TLS, "tls/explicit"],
  [587, "starttls", STARTTLS, "starttls/explicit"],
  [587, "none", PLAIN, "none/explicit"],
  [25, "tls", TLS, "tls/explicit"],
  [25, "starttls", STARTTLS, "starttls/explicit"],
  [25, "none", PLAIN, "none/explicit"],
  [2525, "tls", TLS, "tls/explicit"],
  [2525, "starttls", STARTTLS, "starttls/explicit"],
  [2525, "none", PLAIN, "none/explicit"],
];

describe("transportOptions() connection security", () => {
  for (const [port, security, wire, choice] of COMBINATIONS) {
    it(`port ${port} with security ${security ?? "(unset)"} connects ${choice}`, () => {
      const o = transportOptions({ host: "smtp.example.org", port, security, tls: tlsOn }, none);
      expect({
        secure: o.secure,
        requireTLS: o.requireTLS,
        ignoreTLS: o.ignoreTLS,
        opportunisticTLS: o.opportunisticTLS,
      }).toEqual(wire);
      const e = effectiveSecurity({ port, security });
      expect(`${e.security}/${e.source}`).toBe(choice);
      expect([o.host, o.port]).toEqual(["smtp.example.org", port]);
    });
  }
});

describe("transportOptions() certificate policy", () => {
  it("checks certificates by default, against the host", () => {
    const o = transportOptions({ host: "smtp.example.org", port: 587, tls: tlsOn }, none);
    expect(o.tls).toEqual({ rejectUnauthorized: true });
    expect(o.servername).toBeUndefined();
  });

  it("checks against the alternative name, also sent as SNI", () => {
    const o = transportOptions(
      { host: "10.0.0.5", port: 587, tls: { verify: true, servername: "mail.example.org" } },
      none,
    );
    expect(o.tls).toEqual({ rejectUnauthorized: true, servername: "mail.example.org" });
    expect(o.servername).toBe("mail.example.org");
  });

  it("accepts any certificate only when verify is false", () => {
    const o = transportOptions({ host: "smtp.example.org", port: 465, tls: { verify: false } }, none);
    expect(o.tls?.rejectUnauthorized).toBe(false);
  });

  it("adds trusted CAs, timeouts and the EHLO name, and never logs", () => {
    const o = transportOptions({ host: "h", port: 587, tls: tlsOn }, none, {
      ca: "PEM",
      timeoutMs: 5000,
      name: "client.example.org",
    });
    expect(o.tls?.ca).toBe("PEM");
    expect([o.connectionTimeout, o.greetingTimeout, o.socketTimeout]).toEqual([5000, 5000, 60_000]);
    expect(o.name).toBe("client.example.org");
    expect([o.logger, o.debug]).toEqual([false, false]);
  });
});

describe("transportOptions() login", () => {
  it("sends no AUTH for method none", () => {
    expect(transportOptions({ host: "h", port: 25, tls: tlsOn }, none).auth).toBeUndefined();
  });

  for (const [method, sasl] of [
    ["plain", "PLAIN"],
    ["login", "LOGIN"],
    ["cram-md5", "CRAM-MD5"],
  ] as const) {
    it(`uses ${sasl} with user and password for ${method}`, () => {
      const o = transportOptions(
        { host: "h", port: 587, tls: tlsOn },
        { method, user: "ann", password: "pw" },
      );
      expect(o.auth).toEqual({ user: "ann", pass: "pw" });
      expect(o.authMethod).toBe(sasl);
    });
  }

  it("uses XOAUTH2 with a token from the credentials' source, renewing when nodemailer asks", async () => {
    const asked: boolean[] = [];
    const o = transportOptions(
      { host: "smtp.office365.com", port: 587, tls: tlsOn },
      {
        method: "xoauth2",
        user: "bob@example.org",
        accessToken: async (renew) => {
          asked.push(renew);
          return `token-${asked.length}`;
        },
      },
    );
    expect(o.auth?.type).toBe("OAuth2");
    expect(o.auth?.user).toBe("bob@example.org");
    const provision = o.auth?.provisionCallback;
    const call = (renew: boolean) =>
      new Promise<[Error | null, string | undefined, number | undefined]>((resolve) =>
        provision?.("bob@example.org", renew, (err, token, expires) => resolve([err, token, expires])),
      );
    const [err, token, expires] = await call(false);
    expect([err, token]).toEqual([null, "token-1"]);
    expect(expires).toBeGreaterThan(Date.now());
    expect((await call(true))[1]).toBe("token-2");
    expect(asked).toEqual([false, true]);
  });

  it("hands a failing token source's error to nodemailer", async () => {
    const o = transportOptions(
      { host: "h", port: 587, tls: tlsOn },
      {
        method: "xoauth2",
        user: "bob",
        accessToken: async () => {
          throw new Error("grant revoked");
        },
      },
    );
    const err = await new Promise<Error | null>((resolve) =>
      o.auth?.provisionCallback?.("bob", false, (e) => resolve(e)),
    );
    expect(err?.message).toBe("grant revoked");
  });
});
