import { listAudit } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, TEST_ADMIN, type TestApp } from "../testing.ts";

let t: TestApp | undefined;
afterEach(() => t?.close());

const registration = {
  enabled: true,
  templates: ["example-imap"],
  rateLimit: { max: 2, windowSeconds: 600 },
};
const body = { address: "ann@example.com", password: "pw-123456", template: "example-imap" };
const submit = (remoteAddress: string, headers: Record<string, string> = {}) =>
  call(t!.app, "POST", "/api/v1/registrations", { json: body, remoteAddress, headers });

describe("rate limits keyed by the client", () => {
  it("believe X-Forwarded-For and Forwarded only from a trusted proxy", async () => {
    t = await createTestApp({ config: { registration, server: { trustedProxies: ["10.0.0.0/24"] } } });
    // behind the proxy, every client has a budget of its own
    for (const client of ["198.51.100.1", "198.51.100.2"]) {
      for (let i = 0; i < 2; i++) {
        expect((await submit("10.0.0.5", { "x-forwarded-for": `203.0.113.9, ${client}` })).status).toBe(201);
      }
      expect((await submit("10.0.0.5", { "x-forwarded-for": client })).status).toBe(429);
    }
    expect((await submit("10.0.0.5", { forwarded: 'for="[2001:db8:7::1]:4711"' })).status).toBe(201);
    // a client talking to the app directly cannot pick its key with the header
    expect((await submit("192.0.2.50", { "x-forwarded-for": "198.51.100.77" })).status).toBe(201);
    expect((await submit("192.0.2.50", { "x-forwarded-for": "198.51.100.78" })).status).toBe(201);
    expect((await submit("192.0.2.50", { "x-forwarded-for": "198.51.100.79" })).status).toBe(429);
  });

  it("counts an IPv6 /64 as one client", async () => {
    t = await createTestApp({ config: { registration } });
    expect((await submit("2001:db8:1:2::1")).status).toBe(201);
    expect((await submit("2001:db8:1:2:ffff::9")).status).toBe(201);
    expect((await submit("2001:db8:1:2:abcd::77")).status).toBe(429);
    expect((await submit("2001:db8:1:3::1")).status).toBe(201);
  });
});

describe("admin sign-in backs off per account", () => {
  it("after three failures the account refuses even the right password for a while, whatever the client, and the audit log shows it", async () => {
    t = await createTestApp();
    const login = (password: string, remoteAddress: string) =>
      call(t!.app, "POST", "/admin/login", {
        form: { user: TEST_ADMIN.user, password, next: "/admin/registrations" },
        remoteAddress,
      });
    for (let i = 0; i < 4; i++) expect((await login(`wrong-${i}`, `192.0.2.${i + 1}`)).status).toBe(401);
    const locked = await login(TEST_ADMIN.password, "192.0.2.99");
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toMatch(/^\d+$/);
    const audit = await listAudit(t.store, { limit: 10 });
    expect(audit.find((a) => a.action === "admin.sign-in-locked")).toMatchObject({
      subjectId: TEST_ADMIN.user,
      details: { failures: 4, seconds: 5, client: "192.0.2.4" },
    });
    expect(t.logs.some((l) => l.includes('"client":"192.0.2.1"'))).toBe(true);
  });
});
