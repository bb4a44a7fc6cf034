import { cp, mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { listMailboxes, listRegistrations } from "@mailreg/store";
import { Hono } from "hono";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "./http/request-log.ts";
import { createTestApp, TEST_ADMIN, TEST_ORIGIN, type TestApp, type TestAppOptions } from "./testing.ts";

/** Anything with hono's `request()`. */
interface Target {
  request(input: string, init: RequestInit, env: { remoteAddress: string }): Response | Promise<Response>;
}

let t: TestApp;
afterEach(() => t?.close());

/** The test app mounted under `prefix` in a host app that has pages of its own. */
async function mounted(prefix = "/mail", options: TestAppOptions = {}, host: Hono = new Hono()) {
  t = await createTestApp(options);
  host.get("/", (c) => c.text("the host's home"));
  host.route(prefix, t.app);
  return host;
}

async function hit(
  target: Target,
  method: string,
  path: string,
  options: { form?: Record<string, string | string[]>; cookie?: string; token?: string; json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers();
  let body: string | undefined;
  if (options.form !== undefined) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.form))
      for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    body = params.toString();
    headers.set("content-type", "application/x-www-form-urlencoded");
    headers.set("origin", TEST_ORIGIN);
  }
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers.set("content-type", "application/json");
  }
  if (options.cookie !== undefined) headers.set("cookie", options.cookie);
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  return await target.request(
    path,
    { method, headers, ...(body === undefined ? {} : { body }) },
    { remoteAddress: "192.0.2.10" },
  );
}

/** Every URL a page points the browser to: links, form actions, button form actions, sources. */
function urlsOf(html: string): string[] {
  return [...html.matchAll(/\s(?:href|action|formaction|src)="([^"]*)"/g)].map((m) =>
    (m[1] ?? "").replaceAll("&amp;", "&"),
  );
}

/** The URLs of a page that leave the prefix (fragments and other sites' absolute URLs stay allowed). */
function outside(html: string, prefix: string): string[] {
  return urlsOf(html).filter(
    (u) =>
      !u.startsWith("#") &&
      !/^https?:/.test(u) &&
      !(u === prefix || (/^[/?]/.test(u.slice(prefix.length)) && u.startsWith(prefix))),
  );
}

const form = {
  address: "ann@example.com",
  displayName: "Ann",
  login: "",
  password: "pw-Secret-991",
  template: "example-imap",
};

async function signInAt(host: Target, prefix: string): Promise<{ cookie: string; csrf: string }> {
  const res = await hit(host, "POST", `${prefix}/admin/login`, {
    form: { user: TEST_ADMIN.user, password: TEST_ADMIN.password, next: "/admin/window" },
  });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(`${prefix}/admin/window`);
  const session = res.headers.getSetCookie().find((c) => c.startsWith("mailreg_session="));
  expect(session).toBeDefined();
  expect(session).toContain(`Path=${prefix};`);
  const cookie = session?.split(";")[0] ?? "";
  const page = await (await hit(host, "GET", `${prefix}/admin/window`, { cookie })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  return { cookie, csrf };
}

describe("createApp mounted with host.route('/mail', app)", () => {
  it("sends / and /statreg to /mail/register, and every URL of the page stays under /mail", async () => {
    const host = await mounted();
    expect((await hit(host, "GET", "/mail")).headers.get("location")).toBe("/mail/register");
    const statreg = await hit(host, "GET", "/mail/statreg?lang=de");
    expect(statreg.status).toBe(301);
    expect(statreg.headers.get("location")).toBe("/mail/register?lang=de");
    const page = await hit(host, "GET", "/mail/register");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/mail/register"');
    expect(html).toContain('href="/mail/register?lang=de"');
    expect(outside(html, "/mail")).toEqual([]);
    // the host keeps its own routes
    expect(await (await hit(host, "GET", "/")).text()).toBe("the host's home");
    expect((await hit(host, "GET", "/register")).status).toBe(404);
  });

  it("takes a form post and redirects to /mail/register?done=1; the language cookie is the app's", async () => {
    const host = await mounted();
    const res = await hit(host, "POST", "/mail/register", { form });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/mail/register?done=1");
    const done = await (await hit(host, "GET", "/mail/register?done=1")).text();
    expect(done).toContain('id="success"');
    expect(await listRegistrations(t.store)).toHaveLength(1);
    const lang = (await hit(host, "GET", "/mail/register?lang=de")).headers.get("set-cookie") ?? "";
    expect(lang).toContain("mailreg_lang=de");
    expect(lang).toContain("Path=/mail;");
  });

  it("sends a signed-out admin to /mail/admin/login and back, every admin page's URLs under /mail", async () => {
    const host = await mounted();
    const guarded = await hit(host, "GET", "/mail/admin/mailboxes");
    expect(guarded.status).toBe(303);
    expect(guarded.headers.get("location")).toBe("/mail/admin/login?next=%2Fadmin%2Fmailboxes");
    const login = await hit(host, "GET", "/mail/admin/login?next=%2Fadmin%2Fmailboxes");
    expect(login.status).toBe(200);
    const loginHtml = await login.text();
    expect(loginHtml).toContain('action="/mail/admin/login"');
    expect(loginHtml).toContain('name="next" value="/admin/mailboxes"');
    expect(outside(loginHtml, "/mail")).toEqual([]);

    const { cookie } = await signInAt(host, "/mail");
    expect((await hit(host, "GET", "/mail/admin", { cookie })).headers.get("location")).toBe(
      "/mail/admin/registrations?status=pending",
    );
    for (const path of [
      "/admin/registrations?status=pending",
      "/admin/window",
      "/admin/mailboxes",
      "/admin/dead-letters",
      "/admin/oauth",
      "/admin/config",
      "/admin/audit",
      "/api/v1/docs",
    ]) {
      const res = await hit(host, "GET", `/mail${path}`, { cookie });
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(outside(html, "/mail"), path).toEqual([]);
      if (path.startsWith("/admin")) expect(html, path).toContain('action="/mail/admin/logout"');
    }
    // the current section is marked in the navigation
    const window = await (await hit(host, "GET", "/mail/admin/window", { cookie })).text();
    expect(window).toContain('<a href="/mail/admin/window" aria-current="page">');
  });

  it("applies and rejects from the registrations page: redirects, the one-time message's cookie and the mailbox", async () => {
    const host = await mounted();
    for (const address of ["ann@example.com", "bob@example.com"])
      expect((await hit(host, "POST", "/mail/register", { form: { ...form, address } })).status).toBe(303);
    const [ann, bob] = (await listRegistrations(t.store)).sort((a, b) => a.address.localeCompare(b.address));
    const { cookie, csrf } = await signInAt(host, "/mail");
    const list = await (
      await hit(host, "GET", "/mail/admin/registrations?status=pending", { cookie })
    ).text();
    expect(list).toContain('action="/mail/admin/registrations/decide"');
    const back = /name="back" value="([^"]*)"/.exec(list)?.[1]?.replaceAll("&amp;", "&");
    expect(back).toBe("/admin/registrations?status=pending");

    const applied = await hit(host, "POST", "/mail/admin/registrations/decide", {
      cookie,
      form: { _csrf: csrf, ids: ann?.id ?? "", action: "apply", instance: "main", back: back ?? "" },
    });
    expect(applied.status).toBe(303);
    expect(applied.headers.get("location")).toBe("/mail/admin/registrations?status=pending");
    const flash = applied.headers.getSetCookie().find((c) => c.startsWith("mailreg_flash="));
    expect(flash).toContain("Path=/mail/admin;");
    const shown = await (
      await hit(host, "GET", "/mail/admin/registrations?status=pending", {
        cookie: `${cookie}; ${flash?.split(";")[0]}`,
      })
    ).text();
    expect(shown).toContain("ann@example.com");
    expect((await listMailboxes(t.store)).map((m) => m.address)).toEqual(["ann@example.com"]);

    const rejected = await hit(host, "POST", "/mail/admin/registrations/decide", {
      cookie,
      form: { _csrf: csrf, ids: bob?.id ?? "", action: "reject", back: back ?? "" },
    });
    expect(rejected.status).toBe(303);
    expect(rejected.headers.get("location")).toBe("/mail/admin/registrations?status=pending");
    const statuses = (await listRegistrations(t.store)).map((r) => [r.address, r.status]).sort();
    expect(statuses).toEqual([
      ["ann@example.com", "applied"],
      ["bob@example.com", "rejected"],
    ]);

    // the mailbox page links and forms, and a "back" redirect after its action
    const [mailbox] = await listMailboxes(t.store);
    const page = await (await hit(host, "GET", `/mail/admin/mailboxes/${mailbox?.id}`, { cookie })).text();
    expect(page).toContain(`action="/mail/admin/mailboxes/${mailbox?.id}/check"`);
    expect(outside(page, "/mail")).toEqual([]);

    const out = await hit(host, "POST", "/mail/admin/logout", { cookie, form: { _csrf: csrf } });
    expect(out.headers.get("location")).toBe("/mail/admin/login");
    expect(out.headers.get("set-cookie")).toContain("Path=/mail;");
  });

  it("serves the API, health, metrics and an OpenAPI document naming /mail as its server", async () => {
    const host = await mounted();
    const created = await hit(host, "POST", "/mail/api/v1/registrations", {
      json: { address: "cy@example.com", password: "pw-Secret-991", template: "example-imap" },
    });
    expect(created.status).toBe(201);
    const listed = await hit(host, "GET", "/mail/api/v1/admin/registrations?status=pending", {
      token: TEST_ADMIN.token,
    });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain("cy@example.com");
    // an API error is JSON under the prefix too
    const refused = await hit(host, "GET", "/mail/api/v1/admin/registrations");
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    expect((await hit(host, "GET", "/mail/healthz")).status).toBe(200);
    const doc = (await (await hit(host, "GET", "/mail/api/v1/openapi.json")).json()) as {
      servers?: { url: string }[];
      paths: Record<string, unknown>;
    };
    expect(doc.servers).toEqual([{ url: "/mail" }]);
    expect(Object.keys(doc.paths)).toContain("/api/v1/registrations");
    const metrics = await (await hit(host, "GET", "/mail/metrics", { token: TEST_ADMIN.token })).text();
    // the route label is the app's own route, wherever the app is mounted
    expect(metrics).toMatch(
      /mailreg_http_requests_total\{method="POST",route="\/api\/v1\/registrations",status="201"\} 1/,
    );
    expect(metrics).toMatch(
      /mailreg_http_requests_total\{method="GET",route="\/api\/v1\/admin\/registrations",status="200"\} 1/,
    );
  });

  it("at the root, as before: no prefix anywhere, no servers in the OpenAPI document", async () => {
    t = await createTestApp();
    const res = await hit(t.app, "POST", "/register", { form });
    expect(res.headers.get("location")).toBe("/register?done=1");
    const html = await (await hit(t.app, "GET", "/register")).text();
    expect(html).toContain('action="/register"');
    expect(outside(html, "")).toEqual([]);
    const doc = (await (await hit(t.app, "GET", "/api/v1/openapi.json")).json()) as { servers?: unknown };
    expect(doc.servers).toBeUndefined();
  });

  it("under a prefix with a parameter, each request's own prefix", async () => {
    const host = await mounted("/:tenant/mail");
    const res = await hit(host, "POST", "/acme/mail/register", { form });
    expect(res.headers.get("location")).toBe("/acme/mail/register?done=1");
    const html = await (await hit(host, "GET", "/globex/mail/register")).text();
    expect(html).toContain('action="/globex/mail/register"');
    expect(outside(html, "/globex/mail")).toEqual([]);
  });
});

describe("OAuth sign-in under /mail", () => {
  it("links the sign-in under /mail, and the admin page names the redirect URI the mounted app expects", async () => {
    const host = await mounted("/mail", {
      config: {
        registration: { enabled: true, templates: ["corp-imap"] },
        servers: [
          {
            id: "corp-imap",
            label: "Corp",
            protocol: "imap",
            host: "imap.corp.example",
            oauthProvider: "corp",
          },
        ],
        oauth: {
          providers: {
            corp: {
              kind: "oidc",
              issuer: "https://id.corp.example",
              clientId: "mailreg-corp",
              // registered for the root: the admin page must say what the mounted app expects
              redirectUri: "https://reg.example.org/register/oauth/corp/callback",
            },
          },
        },
      },
    });
    const page = await (await hit(host, "GET", "/mail/register")).text();
    expect(page).toContain('href="/mail/register/oauth/corp/start"');
    const { cookie } = await signInAt(host, "/mail");
    const admin = await (await hit(host, "GET", "/mail/admin/oauth", { cookie })).text();
    expect(admin).toContain("https://reg.example.org/mail/register/oauth/corp/callback");
  });
});

describe("the request log", () => {
  const requests = (logs: string[]) => logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");

  it("by default writes a line per request through the app's logger, with the path as the client sent it", async () => {
    const host = await mounted();
    await hit(host, "GET", "/mail/register?secret=1");
    const [line] = requests(t.logs);
    expect(line).toMatchObject({ method: "GET", path: "/mail/register", status: 200 });
    expect(JSON.stringify(line)).not.toContain("secret");
  });

  it("is off with requestLog: false (the metrics still count)", async () => {
    const host = await mounted("/mail", { deps: { requestLog: false } });
    await hit(host, "GET", "/mail/register");
    expect(requests(t.logs)).toEqual([]);
    const metrics = await (await hit(host, "GET", "/mail/metrics", { token: TEST_ADMIN.token })).text();
    expect(metrics).toMatch(/mailreg_http_requests_total\{method="GET",route="\/register",status="200"\} 1/);
  });

  it("goes to a function of the host", async () => {
    const entries: RequestLogEntry[] = [];
    const host = await mounted("/mail", { deps: { requestLog: (e) => entries.push(e) } });
    await hit(host, "GET", "/mail/register");
    expect(entries).toEqual([
      {
        method: "GET",
        path: "/mail/register",
        status: 200,
        ms: expect.any(Number),
        requestId: expect.any(String),
      },
    ]);
    expect(requests(t.logs)).toEqual([]);
  });

  it("goes to the host's pino logger as info(entry, 'request')", async () => {
    const lines: string[] = [];
    const logger = pino({ base: null }, { write: (line: string) => lines.push(line) });
    const host = await mounted("/mail", { deps: { requestLog: logger } });
    await hit(host, "GET", "/mail/register");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 30,
        msg: "request",
        method: "GET",
        path: "/mail/register",
        status: 200,
      }),
    ]);
  });
});

describe("a host on another copy of hono", () => {
  // A second copy of hono (as npm installs when the host's hono does not satisfy the peer range) has
  // its own private symbols: hono/route's matchedRoutes() read one of them and threw a TypeError on
  // every mounted route. Copied from this install, so the test needs no network.
  let dir: string;
  let OtherHono: typeof Hono;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-other-hono-"));
    const hono = fileURLToPath(new URL("../../../node_modules/hono", import.meta.url));
    await cp(hono, join(dir, "node_modules/hono"), { recursive: true });
    const mod = (await import(pathToFileURL(join(dir, "node_modules/hono/dist/index.js")).href)) as {
      Hono: typeof Hono;
    };
    OtherHono = mod.Hono;
    expect(OtherHono).not.toBe(Hono);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the pages, the form post, the admin and the API under /mail", async () => {
    const host = await mounted("/mail", {}, new OtherHono());
    const page = await hit(host, "GET", "/mail/register");
    expect(page.status).toBe(200);
    expect(outside(await page.text(), "/mail")).toEqual([]);
    const posted = await hit(host, "POST", "/mail/register", { form });
    expect(posted.headers.get("location")).toBe("/mail/register?done=1");
    const { cookie } = await signInAt(host, "/mail");
    expect((await hit(host, "GET", "/mail/admin/registrations", { cookie })).status).toBe(200);
    const api = await hit(host, "POST", "/mail/api/v1/registrations", {
      json: { address: "dee@example.com", password: "pw-Secret-991", template: "example-imap" },
    });
    expect(api.status).toBe(201);
    const metrics = await (await hit(host, "GET", "/mail/metrics", { token: TEST_ADMIN.token })).text();
    expect(metrics).toMatch(/mailreg_http_requests_total\{method="POST",route="\/register",status="303"\} 1/);
  });
});

describe("a host served by @hono/node-server", () => {
  /** A form post over TCP from a chosen loopback address (the whole of 127/8 is this machine). */
  function postFrom(localAddress: string, port: number): Promise<number> {
    const body = new URLSearchParams(form).toString();
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          localAddress,
          method: "POST",
          path: "/mail/register",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
            origin: `http://127.0.0.1:${port}`,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  it("rate-limits each client by its own address, read from the host's server", async () => {
    const host = await mounted("/mail", {
      config: {
        registration: {
          enabled: true,
          templates: ["example-imap"],
          rateLimit: { max: 2, windowSeconds: 60 },
        },
      },
    });
    const server = serve({ fetch: host.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      expect([await postFrom("127.0.0.2", port), await postFrom("127.0.0.2", port)]).toEqual([303, 303]);
      expect(await postFrom("127.0.0.2", port)).toBe(429);
      // another client is not held back by the first one's posts
      expect(await postFrom("127.0.0.3", port)).toBe(303);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
