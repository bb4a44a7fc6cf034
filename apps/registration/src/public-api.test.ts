import { isMailregError } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import { getRegistration, listAudit, listRegistrations, setOpenNow } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import type { VerifyLogin, VerifyLoginOptions } from "./deps.ts";
import { call, createTestApp, type TestApp, type TestAppOptions } from "./testing.ts";

const PASSWORD = "S3cret-Pass!word-7731";
const good = {
  address: "Ann@Example.COM",
  displayName: "Ann Example",
  password: PASSWORD,
  template: "example-imap",
};

let t: TestApp;
const start = async (options: TestAppOptions = {}) => {
  t = await createTestApp(options);
  return t;
};
afterEach(() => t?.close());

const submit = (json: unknown, remoteAddress?: string) =>
  call(t.app, "POST", "/api/v1/registrations", {
    json,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  });

describe("POST /api/v1/registrations", () => {
  it("stores a pending registration whose sealed profile holds the whole connection", async () => {
    await start();
    const res = await submit(good);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; status: string };
    expect(body).toMatchObject({ status: "pending" });
    const record = await getRegistration(t.store, body.id);
    expect(record).toMatchObject({
      address: "Ann@example.com",
      displayName: "Ann Example",
      login: "Ann@example.com",
      host: "imap.example.com",
      port: 993,
      security: "tls",
      template: "example-imap",
      status: "pending",
      keyId: t.keyring.publicKey.kid,
    });
    const profile = await open(record.sealed, t.keyring, {
      registrationId: record.id,
      address: record.address,
    });
    expect(profile.auth).toEqual({ method: "password", password: PASSWORD });
    expect(profile).toMatchObject({
      host: "imap.example.com",
      login: "Ann@example.com",
      template: "example-imap",
    });
  });

  it("works holding only the registry public key", async () => {
    await start({ publicOnly: true });
    expect(t.keyring.privateKeys.size).toBe(0);
    const res = await submit(good);
    expect(res.status).toBe(201);
    expect(await listRegistrations(t.store)).toHaveLength(1);
  });

  it("preselects the only offered template when none is named", async () => {
    await start();
    const { template: _t, ...rest } = good;
    expect((await submit(rest)).status).toBe(201);
  });

  it("answers the same for an address registered before (no enumeration)", async () => {
    await start();
    const first = (await (await submit(good)).json()) as Record<string, unknown>;
    const second = (await (await submit(good)).json()) as Record<string, unknown>;
    expect(Object.keys(second).sort()).toEqual(Object.keys(first).sort());
    expect(second.status).toBe(first.status);
  });

  it("reports every bad field with a code and a message, and stores nothing", async () => {
    await start();
    const res = await submit({
      address: "ann@@example.com",
      displayName: "Ann\r\nBcc: x@example.com",
      login: "x".repeat(321),
      password: "",
      template: "nope",
      extra: 1,
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; fields: Record<string, { code: string; message: string }> };
    };
    expect(error.code).toBe("VALIDATION");
    expect(Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, v.code]))).toEqual({
      address: "address-invalid",
      displayName: "control-character",
      login: "too-long",
      password: "required",
      extra: "invalid",
    });
    expect(error.fields.login?.message).toContain("320");
    expect(await listRegistrations(t.store)).toEqual([]);
  });

  it("refuses an unknown template and a typed-in server when the config does not allow one", async () => {
    await start();
    const unknown = await submit({ ...good, template: "other" });
    expect(((await unknown.json()) as { error: { fields: object } }).error.fields).toMatchObject({
      template: { code: "unknown-template" },
    });
    const { template: _t, ...rest } = good;
    const custom = await submit({
      ...rest,
      server: { protocol: "imap", host: "93.184.215.14", security: "tls" },
    });
    expect(custom.status).toBe(400);
    expect(((await custom.json()) as { error: { fields: object } }).error.fields).toMatchObject({
      server: { code: "custom-server-not-allowed" },
    });
  });

  it("refuses addresses outside the allowed domains", async () => {
    await start({
      config: {
        registration: { enabled: true, templates: ["example-imap"], allowedDomains: ["example.org"] },
      },
    });
    const res = await submit(good);
    expect(((await res.json()) as { error: { fields: object } }).error.fields).toMatchObject({
      address: { code: "domain-not-allowed" },
    });
    expect((await submit({ ...good, address: "ann@EXAMPLE.org" })).status).toBe(201);
  });

  describe("typed-in servers", () => {
    const registration = { enabled: true, templates: ["example-imap"], allowCustomServer: true };
    const typed = (server: object) => submit({ address: "ann@example.com", password: PASSWORD, server });

    it("accepts a public server and fills in the protocol's port", async () => {
      await start({ config: { registration } });
      const res = await typed({ protocol: "pop3", host: "93.184.215.14", security: "tls" });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      expect(await getRegistration(t.store, id)).toMatchObject({
        protocol: "pop3",
        host: "93.184.215.14",
        port: 995,
      });
    });

    it("refuses loopback, private and link-local addresses unless the administrator allows them", async () => {
      await start({ config: { registration } });
      for (const host of [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.5",
        "169.254.1.1",
        "[::1]",
        "localhost",
        "2130706433",
      ]) {
        const res = await typed({ protocol: "imap", host, security: "tls" });
        expect(res.status, host).toBe(400);
        expect(((await res.json()) as { error: { fields: object } }).error.fields, host).toMatchObject({
          "server.host": { code: "host-not-allowed" },
        });
      }
      t.close();
      await start({ config: { registration: { ...registration, allowPrivateNetworks: true } } });
      expect((await typed({ protocol: "imap", host: "10.1.2.3", security: "tls" })).status).toBe(201);
    });

    it("refuses names that resolve to a private address, and names that do not resolve", async () => {
      const zone: Record<string, string[]> = {
        "mail.example.net": ["93.184.215.14"],
        "intranet.example.net": ["10.0.0.8"],
      };
      await start({
        config: { registration },
        deps: {
          resolveHost: async (name) => {
            const found = zone[name];
            if (found === undefined) throw new Error("ENOTFOUND");
            return found;
          },
        },
      });
      expect((await typed({ protocol: "imap", host: "mail.example.net", security: "tls" })).status).toBe(201);
      const fieldCode = async (host: string) =>
        (
          (await (await typed({ protocol: "imap", host, security: "tls" })).json()) as {
            error: { fields: Record<string, { code: string }> };
          }
        ).error.fields["server.host"]?.code;
      expect(await fieldCode("intranet.example.net")).toBe("host-not-allowed");
      // an unknown name and a forbidden one look the same from outside
      expect(await fieldCode("nowhere.example.net")).toBe("host-not-allowed");
    });

    it("refuses a port out of range and a host that is not a host name", async () => {
      await start({ config: { registration } });
      const port = await typed({ protocol: "imap", host: "93.184.215.14", port: 70000, security: "tls" });
      expect(((await port.json()) as { error: { fields: object } }).error.fields).toMatchObject({
        "server.port": { code: "port-range" },
      });
      const host = await typed({ protocol: "imap", host: "imap.example.com/x", security: "tls" });
      expect(((await host.json()) as { error: { fields: object } }).error.fields).toMatchObject({
        "server.host": { code: "host-invalid" },
      });
    });
  });

  it("refuses with 403 while registration is closed, says when it opens next, and stores nothing", async () => {
    const from = new Date(Date.now() + 86_400_000).toISOString();
    const until = new Date(Date.now() + 2 * 86_400_000).toISOString();
    await start({
      config: { registration: { enabled: true, templates: ["example-imap"], windows: [{ from, until }] } },
    });
    const res = await submit(good);
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("WINDOW_CLOSED");
    expect(error.message).toContain(from);
    expect(await listRegistrations(t.store)).toEqual([]);
    await setOpenNow(t.store, true, { actor: "test" });
    expect((await submit(good)).status).toBe(201);
  });

  it("answers 429 with Retry-After past the rate limit, per client address", async () => {
    await start({
      config: {
        registration: {
          enabled: true,
          templates: ["example-imap"],
          rateLimit: { max: 3, windowSeconds: 60 },
        },
      },
    });
    for (let i = 0; i < 3; i++) expect((await submit(good, "198.51.100.1")).status).toBe(201);
    const limited = await submit(good, "198.51.100.1");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect((await submit(good, "198.51.100.2")).status).toBe(201);
    expect(await listRegistrations(t.store)).toHaveLength(4);
  });

  it("refuses a body over the size limit with 413 and malformed JSON with 400", async () => {
    await start();
    const big = await submit({ ...good, displayName: "x".repeat(20_000) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    const bad = await t.app.request("/api/v1/registrations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
  });
});

describe("verify-on-submit", () => {
  const registration = { enabled: true, templates: ["example-imap"], verifyOnSubmit: true };
  const seen: Array<{ login: string; options: VerifyLoginOptions }> = [];
  const verifier =
    (answer: Awaited<ReturnType<VerifyLogin>>): VerifyLogin =>
    async (profile, options) => {
      seen.push({ login: profile.login, options });
      return answer;
    };

  it("logs in with the template's certificate policy before accepting", async () => {
    await start({
      config: {
        registration,
        servers: [
          {
            id: "example-imap",
            label: "Example",
            protocol: "imap",
            host: "imap.example.com",
            tls: { verify: false },
          },
        ],
      },
      deps: { verifyLogin: verifier({ ok: true }), verifyTimeoutMs: 1234 },
    });
    expect((await submit(good)).status).toBe(201);
    expect(seen.at(-1)).toEqual({
      login: "Ann@example.com",
      options: {
        timeoutMs: 1234,
        tls: { verify: false },
        policy: expect.objectContaining({ allowPrivate: false }),
      },
    });
  });

  it("answers every verify failure the same (refused login, unreachable, certificate, protocol) and tells the admin why in the audit log", async () => {
    const bodies: string[] = [];
    for (const reason of ["auth", "unreachable", "tls", "protocol"] as const) {
      await start({
        config: { registration },
        deps: { verifyLogin: verifier({ ok: false, reason, message: `the ${reason} detail` }) },
      });
      const res = await submit(good);
      expect(res.status).toBe(422);
      const text = await res.text();
      expect(text).not.toContain(reason === "auth" ? "refused" : reason);
      bodies.push(text);
      expect(await listRegistrations(t.store)).toEqual([]);
      const audit = await listAudit(t.store, { limit: 10 });
      expect(audit).toEqual([
        expect.objectContaining({
          actor: "public",
          action: "registration.verify-refused",
          details: expect.objectContaining({
            reason,
            message: `the ${reason} detail`,
            address: "Ann@example.com",
          }),
        }),
      ]);
      t.close();
    }
    // a typed-in server that is forbidden, or whose name does not resolve, answers the same
    await start({
      config: { registration: { ...registration, allowCustomServer: true } },
      deps: {
        verifyLogin: verifier({ ok: false, reason: "auth", message: "no" }),
        resolveHost: async (name) => (name === "intranet.example.net" ? ["10.0.0.8"] : []),
      },
    });
    for (const host of ["127.0.0.1", "intranet.example.net", "nowhere.example.net"]) {
      const res = await submit({
        address: good.address,
        password: good.password,
        server: { protocol: "imap", host, security: "tls" },
      });
      expect(res.status, host).toBe(422);
      bodies.push(await res.text());
    }
    expect((await listAudit(t.store, { limit: 10 })).map((a) => a.details.reason)).toEqual([
      "policy",
      "policy",
      "policy",
    ]);
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!)).toEqual({
      error: {
        code: "MAIL_SIGN_IN_FAILED",
        message: "Signing in to the mail server did not work",
        fields: {
          password: { code: "sign-in-failed", message: expect.stringMatching(/^Signing in did not work/) },
        },
      },
    });
  });

  it("limits verify attempts per address and failed ones per target server, whatever the client", async () => {
    await start({
      config: {
        registration: {
          ...registration,
          rateLimit: { max: 100, windowSeconds: 600 },
          verifyLimits: { perAddress: 2, perServerFailures: 3 },
        },
      },
      deps: { verifyLogin: verifier({ ok: false, reason: "auth", message: "no" }) },
    });
    const as = (address: string, client: string) =>
      call(t.app, "POST", "/api/v1/registrations", {
        json: { ...good, address },
        remoteAddress: client,
      });
    // the same address from ever new clients: two tries, then 429
    expect((await as("x@example.com", "192.0.2.1")).status).toBe(422);
    expect((await as("x@example.com", "192.0.2.2")).status).toBe(422);
    expect((await as("x@example.com", "192.0.2.3")).status).toBe(429);
    // spraying other addresses at the same server: its third failure closes it for everyone
    expect((await as("y@example.com", "192.0.2.4")).status).toBe(422);
    const closed = await as("z@example.com", "192.0.2.5");
    expect(closed.status).toBe(429);
    expect(closed.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("cannot be switched on without a login check", async () => {
    const base = await createTestApp();
    try {
      const config = {
        ...base.context.config,
        registration: { ...base.context.config.registration, verifyOnSubmit: true },
      };
      const error = (() => {
        try {
          createApp({ config, store: base.store, keyring: base.keyring });
        } catch (e) {
          return e;
        }
      })();
      expect(isMailregError(error, "DEPENDENCY_MISSING")).toBe(true);
    } finally {
      base.close();
    }
  });
});
