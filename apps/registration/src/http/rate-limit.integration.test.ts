import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { call, createTestApp, TEST_ADMIN, type TestApp } from "../testing.ts";

// Two createApp over two stores opened on one database file: what two app processes are.
let dir: string;
const apps: TestApp[] = [];
const openApp = async () => {
  const app = await createTestApp({
    storeUrl: `file:${dir}/shared.db`,
    config: {
      registration: { enabled: true, templates: ["example-imap"], rateLimit: { max: 3, windowSeconds: 600 } },
    },
  });
  apps.push(app);
  return app;
};
const submit = (t: TestApp, remoteAddress: string, n: number) =>
  call(t.app, "POST", "/api/v1/registrations", {
    json: { address: `user${n}@example.com`, password: "pw-123456", template: "example-imap" },
    remoteAddress,
  });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-rate-limit-"));
});
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("rate limits kept in the database", () => {
  it("are one registration budget per client for two app processes on one database", async () => {
    const one = await openApp();
    const two = await openApp();
    expect((await submit(one, "198.51.100.7", 1)).status).toBe(201);
    expect((await submit(two, "198.51.100.7", 2)).status).toBe(201);
    expect((await submit(one, "198.51.100.7", 3)).status).toBe(201);
    const refused = await submit(two, "198.51.100.7", 4);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(590);
    expect((await submit(one, "198.51.100.7", 5)).status).toBe(429);
    // the register page's form shares the budget
    const form = await call(two.app, "POST", "/register", {
      form: { address: "user6@example.com", password: "pw-123456", template: "example-imap" },
      remoteAddress: "198.51.100.7",
    });
    expect(form.status).toBe(429);
    // another client has its own
    expect((await submit(two, "198.51.100.8", 7)).status).toBe(201);
  });

  it("are one sign-in budget per client for two app processes on one database", async () => {
    const one = await openApp();
    const two = await openApp();
    // a new account name each time: the per-account backoff stays out of it
    const login = (t: TestApp, i: number) =>
      call(t.app, "POST", "/admin/login", {
        form: { user: `nobody-${i}`, password: "wrong" },
        remoteAddress: "192.0.2.9",
      });
    for (let i = 0; i < 10; i++) expect((await login(i % 2 === 0 ? one : two, i)).status).toBe(401);
    expect((await login(one, 10)).status).toBe(429);
    expect((await login(two, 11)).status).toBe(429);
  });

  it("survive a restart: a reopened app still refuses the client that used its budget", async () => {
    const first = await openApp();
    for (let i = 0; i < 3; i++) expect((await submit(first, "2001:db8:5:6::1", i)).status).toBe(201);
    first.close();
    apps.splice(0);
    const restarted = await openApp();
    expect((await submit(restarted, "2001:db8:5:6:ffff::2", 9)).status).toBe(429);
    expect((await submit(restarted, "2001:db8:5:7::1", 10)).status).toBe(201);
  });

  it("back off an account whose sign-ins failed through any app process, and after a restart", async () => {
    const one = await openApp();
    const two = await openApp();
    const login = (t: TestApp, password: string, i: number) =>
      call(t.app, "POST", "/admin/login", {
        form: { user: TEST_ADMIN.user, password, next: "/admin/registrations" },
        remoteAddress: `192.0.2.${i}`,
      });
    for (let i = 0; i < 4; i++)
      expect((await login(i % 2 === 0 ? one : two, `wrong-${i}`, i + 1)).status).toBe(401);
    // the fourth failure locks the account for 5 s, in both processes, even for the right password
    const locked = await login(one, TEST_ADMIN.password, 50);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(two, TEST_ADMIN.password, 51)).status).toBe(429);
    for (const app of apps.splice(0)) app.close();
    const restarted = await openApp();
    expect((await login(restarted, TEST_ADMIN.password, 52)).status).toBe(429);
  });
});
