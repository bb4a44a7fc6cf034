import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { listMailboxes, listRegistrations } from "@mailreg/store";
import { Hono } from "hono";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, shot } from "../test/browser-harness.ts";
import { createTestApp, TEST_ADMIN, type TestApp } from "./testing.ts";

// The registration app mounted under /mail in a host Hono app that has a page of its own, served by
// @hono/node-server, driven by Chromium: every request the browser makes after leaving the host's
// page, and every cookie it keeps, stays under /mail.

let t: TestApp;
let origin: string;
let close: () => Promise<void>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;
/** Every URL the browser asked for (navigations, form posts, redirects followed, fetches). */
const requested: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const host = new Hono();
  host.get("/", (c) =>
    c.html('<!DOCTYPE html><title>Host</title><a href="/mail/register">Register a mailbox</a>'),
  );
  host.route("/mail", t.app);
  const server = serve({ fetch: host.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  chromium = await launchChromium();
  context = await chromium.browser.newContext({ locale: "en-GB", viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.on("request", (r) => requested.push(r.url()));
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await close?.();
  t?.close();
});

async function register(address: string) {
  await page.getByLabel("Email address").fill(address);
  await page.getByLabel("Password", { exact: true }).fill("Owner-Pa55-word");
  await page.getByRole("button", { name: "Register" }).click();
  await page.waitForURL(/done=1/);
  expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/mail/register?done=1");
  await expect.poll(() => page.locator("#success").textContent()).toContain("your mailbox is registered");
}

async function decide(address: string, action: "Apply selected" | "Reject selected") {
  await page.getByRole("link", { name: "Registrations" }).click();
  await page.getByRole("checkbox", { name: `Select ${address}` }).check();
  await page.getByRole("button", { name: action }).click();
  await page.waitForURL(/\/mail\/admin\/registrations/);
}

describe("the app under /mail of a host, in Chromium", () => {
  it("register, sign in, apply, reject, call the API: nothing leaves /mail", async () => {
    await page.goto(`${origin}/`);
    await page.getByRole("link", { name: "Register a mailbox" }).click();
    await page.waitForURL(`${origin}/mail/register`);
    const start = requested.length;

    // the owner: the form posts to /mail/register and comes back to the success message
    await register("ann@example.com");
    await shot(page, "mount-01-registered");
    // the language switch stays in the app
    await page.getByRole("link", { name: "DE", exact: true }).click();
    await page.waitForURL(/\/mail\/register\?lang=de/);
    await page.getByRole("link", { name: "EN", exact: true }).click();
    await page.waitForURL(/lang=en/);
    await register("bob@example.com");
    expect((await listRegistrations(t.store)).map((r) => r.address).sort()).toEqual([
      "ann@example.com",
      "bob@example.com",
    ]);

    // the administrator: /mail/admin sends to /mail/admin/login and back after signing in
    await page.goto(`${origin}/mail/admin`);
    await page.waitForURL(/\/mail\/admin\/login\?next=/);
    await page.getByLabel("User name").fill(TEST_ADMIN.user);
    await page.getByLabel("Password").fill(TEST_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/mail\/admin\/registrations/);
    await shot(page, "mount-02-admin");
    const signedIn = (await context.cookies()).map((c) => `${c.name} ${c.path}`).sort();
    expect(signedIn).toEqual(["mailreg_lang /mail", "mailreg_session /mail"]);

    await decide("ann@example.com", "Apply selected");
    await expect.poll(() => page.locator("#flash").textContent()).toContain("Applied ann@example.com");
    await decide("bob@example.com", "Reject selected");
    await expect.poll(() => page.locator("#flash").textContent()).toContain("Rejected bob@example.com");
    expect((await listMailboxes(t.store)).map((m) => m.address)).toEqual(["ann@example.com"]);

    // the mailbox page through the navigation, and the API with the admin's session cookie
    await page.getByRole("link", { name: "Mailboxes" }).click();
    await page.getByRole("link", { name: "ann@example.com" }).click();
    await page.waitForURL(/\/mail\/admin\/mailboxes\/[^/]+$/);
    // (the pages' policy allows no script to fetch; the browser context's own client sends the session)
    const res = await context.request.get(`${origin}/mail/api/v1/admin/registrations?status=rejected`);
    const api = { status: res.status(), body: await res.text() };
    expect(api.status).toBe(200);
    expect(api.body).toContain("bob@example.com");
    await page.getByRole("link", { name: "API" }).click();
    await page.getByRole("link", { name: "/mail/api/v1/openapi.json" }).click();
    await page.waitForURL(`${origin}/mail/api/v1/openapi.json`);
    await page.goBack(); // the API page
    await page.goBack(); // the mailbox page
    await page.waitForURL(/\/mail\/admin\/mailboxes\/[^/]+$/);

    // signing out lands on the app's login page
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${origin}/mail/admin/login`);

    const visited = requested.slice(start).map((u) => new URL(u));
    expect(visited.length).toBeGreaterThan(20);
    expect(
      visited.filter((u) => u.origin !== origin || !/^\/mail(\/|$)/.test(u.pathname)).map(String),
    ).toEqual([]);
    expect(await context.cookies()).toEqual([
      expect.objectContaining({ name: "mailreg_lang", path: "/mail" }),
    ]);
  }, 90_000);
});
