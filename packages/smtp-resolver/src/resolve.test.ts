import { isMailregError, validateConfig } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import {
  type PassedOver,
  type ResolveInput,
  requireResolved,
  resolve,
  resolveFromConfig,
  type SmtpMailbox,
} from "./resolve.ts";

const passwordMailbox: SmtpMailbox = {
  id: "mb-1",
  address: "ann@example.org",
  instanceId: "sales",
  template: "example-imap",
  login: "ann.login",
  authMethod: "password",
};
const oauthMailbox: SmtpMailbox = {
  ...passwordMailbox,
  address: "bob@example.org",
  login: "bob@example.org",
  authMethod: "oauth2",
};

const relay = {
  host: "relay.example.org",
  port: 587,
  auth: { method: "plain", user: "relay", password: "relay-pw" },
} as const;

function reasons(passedOver: PassedOver[]): string[] {
  return passedOver.map((p) => `${p.level}/${p.source}: ${p.reason}`);
}

describe("resolve() picks the first usable level", () => {
  it("uses the mailbox's own settings before its template's counterpart and every other level", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      own: { host: "own.example.org", port: 587, auth: { method: "login" } },
      template: { id: "example-imap", smtp: { host: "tpl.example.org", port: 465 } },
      company: relay,
      default: relay,
    });
    expect(r.resolved && [r.level, r.source, r.effective.host]).toEqual([
      "mailbox",
      "mailbox",
      "own.example.org",
    ]);
    expect(r.passedOver).toEqual([]);
  });

  it("uses the server template's SMTP counterpart when the mailbox has no settings of its own", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      template: {
        id: "example-imap",
        smtp: { host: "tpl.example.org", port: 465, auth: { method: "plain" } },
      },
      company: relay,
    });
    expect(r.resolved && [r.level, r.source, r.effective.host]).toEqual([
      "mailbox",
      "template:example-imap",
      "tpl.example.org",
    ]);
  });

  it("falls back from disabled own settings to the template's counterpart, saying why", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      own: { enabled: false, host: "own.example.org", port: 587 },
      template: { id: "example-imap", smtp: { host: "tpl.example.org", port: 587 } },
    });
    expect(r.resolved && r.source).toBe("template:example-imap");
    expect(reasons(r.passedOver)).toEqual(["mailbox/mailbox: disabled"]);
  });

  it("uses the company level when the mailbox level has nothing", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      company: relay,
      instance: { id: "sales", smtp: relay },
      default: relay,
    });
    expect(r.resolved && r.level).toBe("company");
    expect(reasons(r.passedOver)).toEqual(["mailbox/mailbox: not-set"]);
    expect(r.passedOver[0]?.detail).toBe(
      "the mailbox has no SMTP settings of its own and no server template",
    );
  });

  it("uses the instance level when company is not set", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      template: { id: "example-imap" },
      instance: { id: "sales", smtp: { ...relay, host: "sales.example.org" } },
      default: relay,
    });
    expect(r.resolved && [r.level, r.source, r.effective.host]).toEqual([
      "instance",
      "instance:sales",
      "sales.example.org",
    ]);
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/template:example-imap: not-set",
      "company/company: not-set",
    ]);
    expect(r.passedOver[0]?.detail).toBe('server template "example-imap" has no SMTP counterpart');
  });

  it("uses the default level last, listing every level passed over in order", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      template: { id: "gone", missing: true },
      company: { enabled: false, host: "corp.example.org", port: 587 },
      instance: { id: "sales", missing: true },
      default: { host: "localhost", port: 25 },
    });
    expect(r.resolved && [r.level, r.source]).toEqual(["default", "default"]);
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/template:gone: unknown-template",
      "company/company: disabled",
      "instance/instance:sales: unknown-instance",
    ]);
  });

  it("reports every level when none is usable, and requireResolved() refuses with SMTP_NOT_CONFIGURED", () => {
    const r = resolve({ mailbox: passwordMailbox, instance: { id: "sales" } });
    expect(r.resolved).toBe(false);
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/mailbox: not-set",
      "company/company: not-set",
      "instance/instance:sales: not-set",
      "default/default: not-set",
    ]);
    expect(r.passedOver.map((p) => p.detail)).toContain('instance "sales" has no SMTP settings');
    expect(r.passedOver.map((p) => p.detail)).toContain("smtp.default is not set");
    let thrown: unknown;
    try {
      requireResolved(r);
    } catch (error) {
      thrown = error;
    }
    expect(isMailregError(thrown, "SMTP_NOT_CONFIGURED")).toBe(true);
    expect((thrown as Error).message).toContain("company: smtp.company is not set");
  });

  it("says no instance was given when resolving without a mailbox", () => {
    const r = resolve({ default: { host: "localhost", port: 25 } });
    expect(reasons(r.passedOver)).toContain("instance/instance: not-set");
    expect(r.passedOver.find((p) => p.level === "instance")?.detail).toBe("no instance was given");
  });
});

describe("resolve() passes a level over", () => {
  const fallback = { default: { host: "fallback.example.org", port: 25 } } satisfies ResolveInput;

  it("when it has no host", () => {
    for (const own of [{ port: 587 }, { host: "  ", port: 587 }]) {
      const r = resolve({ mailbox: passwordMailbox, own, ...fallback });
      expect(r.passedOver[0]).toMatchObject({
        level: "mailbox",
        reason: "missing-host",
        detail: "no host is set",
      });
    }
  });

  it("when its settings do not validate, naming the field", () => {
    const r = resolve({
      mailbox: passwordMailbox,
      own: { host: "own.example.org", port: 70000 },
      ...fallback,
    });
    expect(r.passedOver[0]).toMatchObject({ reason: "invalid" });
    expect(r.passedOver[0]?.detail).toMatch(/^the settings are not valid \(port: /);
  });

  it("when it needs a password and names a user-less one", () => {
    const r = resolve({
      company: { host: "c.example.org", port: 587, auth: { method: "plain", password: "pw" } },
      ...fallback,
    });
    expect(r.passedOver[1]).toMatchObject({ level: "company", reason: "missing-credentials" });
    expect(r.passedOver[1]?.detail).toBe("a password is set for plain but no user");
  });

  it("when it needs a password, has none, and there is no mailbox", () => {
    const r = resolve({
      company: { host: "c.example.org", port: 587, auth: { method: "cram-md5" } },
      ...fallback,
    });
    expect(r.passedOver[1]).toMatchObject({ reason: "missing-credentials" });
    expect(r.passedOver[1]?.detail).toContain("no mailbox was given");
  });

  it("when it needs a password and the mailbox signs in with OAuth 2.0", () => {
    const r = resolve({
      mailbox: oauthMailbox,
      template: {
        id: "example-imap",
        smtp: { host: "smtp.example.org", port: 587, auth: { method: "login" } },
      },
      ...fallback,
    });
    expect(r.passedOver[0]).toMatchObject({ source: "template:example-imap", reason: "missing-credentials" });
    expect(r.passedOver[0]?.detail).toContain("bob@example.org signs in with OAuth 2.0");
  });

  it("when it uses XOAUTH2 and the mailbox has a password, or there is no mailbox", () => {
    const xoauth2 = { host: "smtp.office365.com", port: 587, auth: { method: "xoauth2" } } as const;
    const withPassword = resolve({ mailbox: passwordMailbox, own: xoauth2, ...fallback });
    expect(withPassword.passedOver[0]).toMatchObject({ reason: "missing-credentials" });
    expect(withPassword.passedOver[0]?.detail).toContain("ann@example.org signs in with a password");
    const withoutMailbox = resolve({ company: xoauth2, ...fallback });
    expect(withoutMailbox.passedOver[1]?.detail).toContain("no mailbox was given");
  });
});

describe("resolve() says how the winner logs in", () => {
  it("with the level's own user and password when it has both", () => {
    const r = requireResolved(resolve({ mailbox: passwordMailbox, company: relay }));
    expect(r.effective.auth).toEqual({ method: "plain", user: "relay", credentials: "level" });
  });

  it("with the mailbox's password and login when the level names only a method", () => {
    const r = requireResolved(
      resolve({
        mailbox: passwordMailbox,
        company: { host: "c.example.org", port: 587, auth: { method: "login" } },
      }),
    );
    expect(r.effective.auth).toEqual({ method: "login", user: "ann.login", credentials: "mailbox" });
  });

  it("with the level's user name and the mailbox's password when the level names a user only", () => {
    const r = requireResolved(
      resolve({
        mailbox: passwordMailbox,
        company: { host: "c.example.org", port: 587, auth: { method: "plain", user: "CORP\\ann" } },
      }),
    );
    expect(r.effective.auth).toEqual({ method: "plain", user: "CORP\\ann", credentials: "mailbox" });
  });

  it("with the mailbox's OAuth 2.0 grant for XOAUTH2", () => {
    const r = requireResolved(
      resolve({
        mailbox: oauthMailbox,
        company: { host: "smtp.gmail.com", port: 587, auth: { method: "xoauth2" } },
      }),
    );
    expect(r.effective.auth).toEqual({ method: "xoauth2", user: "bob@example.org", credentials: "mailbox" });
  });

  it("without a login when the method is none, and with the derived security and the certificate policy", () => {
    const r = requireResolved(
      resolve({
        default: {
          host: "localhost",
          port: 25,
          tls: { verify: true, servername: "mx.example.org" },
          from: "bounce@example.org",
        },
      }),
    );
    expect(r.effective).toEqual({
      host: "localhost",
      port: 25,
      security: "opportunistic",
      securitySource: "port",
      tls: { verify: true, servername: "mx.example.org" },
      auth: { method: "none", credentials: "none" },
      from: "bounce@example.org",
    });
    expect(r.settings.auth).toEqual({ method: "none" });
  });

  it("carries the winner's warnings", () => {
    const r = requireResolved(
      resolve({ default: { host: "smtp.example.org", port: 587, tls: { verify: false } } }),
    );
    expect(r.warnings.map((w) => w.code)).toEqual(["tls-verify-off"]);
  });
});

describe("resolveFromConfig()", () => {
  const config = validateConfig({
    servers: [
      {
        id: "example-imap",
        label: "Example",
        protocol: "imap",
        host: "imap.example.org",
        port: 993,
        smtp: { host: "smtp.example.org", port: 587, auth: { method: "plain" } },
      },
      { id: "bare-imap", label: "Bare", protocol: "imap", host: "imap.bare.example", port: 993 },
    ],
    instances: [
      { id: "sales", label: "Sales", smtp: { host: "sales-relay.example.org", port: 587 } },
      { id: "support", label: "Support" },
    ],
    smtp: {
      company: { enabled: false, host: "corp.example.org", port: 587 },
      default: { host: "localhost", port: 25 },
    },
  });

  it("takes the mailbox's template from config.servers", () => {
    const r = resolveFromConfig(config, passwordMailbox);
    expect(r.resolved && [r.source, r.effective.host, r.effective.auth.user]).toEqual([
      "template:example-imap",
      "smtp.example.org",
      "ann.login",
    ]);
  });

  it("walks on to the instance's settings when the template has no counterpart and company is disabled", () => {
    const r = resolveFromConfig(config, { ...passwordMailbox, template: "bare-imap" });
    expect(r.resolved && r.source).toBe("instance:sales");
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/template:bare-imap: not-set",
      "company/company: disabled",
    ]);
  });

  it("ends at the default for a mailbox without template in an instance without SMTP", () => {
    const r = resolveFromConfig(config, { ...passwordMailbox, template: null, instanceId: "support" });
    expect(r.resolved && r.level).toBe("default");
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/mailbox: not-set",
      "company/company: disabled",
      "instance/instance:support: not-set",
    ]);
  });

  it("reports templates and instances the config no longer has", () => {
    const r = resolveFromConfig(config, { ...passwordMailbox, template: "removed", instanceId: "closed" });
    expect(reasons(r.passedOver)).toEqual([
      "mailbox/template:removed: unknown-template",
      "company/company: disabled",
      "instance/instance:closed: unknown-instance",
    ]);
  });

  it("puts the mailbox's own settings first", () => {
    const r = resolveFromConfig(config, passwordMailbox, { host: "own.example.org", port: 465 });
    expect(r.resolved && [r.source, r.effective.security]).toEqual(["mailbox", "tls"]);
  });
});
