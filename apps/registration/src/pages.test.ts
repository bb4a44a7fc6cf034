import { listAudit, listMailboxes, listRegistrations, setOpenNow } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp, type TestAppOptions } from "./testing.ts";

let t: TestApp;
const start = async (options: TestAppOptions = {}) => {
  t = await createTestApp(options);
  return t;
};
afterEach(() => t?.close());

const form = {
  address: "ann@example.com",
  displayName: "Ann",
  login: "",
  password: "pw-Secret-991",
  template: "example-imap",
};

describe("the registration page", () => {
  it("speaks German or English by Accept-Language, and the switch is remembered", async () => {
    await start();
    const de = await call(t.app, "GET", "/register", { headers: { "accept-language": "de-DE,de;q=0.9" } });
    const html = await de.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain("Postfach registrieren");
    const switched = await call(t.app, "GET", "/register?lang=en", { headers: { "accept-language": "de" } });
    expect(await switched.text()).toContain("Register your mailbox");
    const cookie = switched.headers.get("set-cookie")?.split(";")[0] ?? "";
    const after = await call(t.app, "GET", "/register", { cookie, headers: { "accept-language": "de" } });
    expect(await after.text()).toContain('<html lang="en">');
  });

  it("labels every field and names the single offered server instead of asking", async () => {
    await start();
    const html = await (await call(t.app, "GET", "/register")).text();
    for (const name of ["address", "displayName", "login", "password"]) {
      expect(html).toContain(`<label for="f-${name}">`);
      expect(html).toContain(`id="f-${name}" name="${name}"`);
    }
    expect(html).toContain('<input type="hidden" name="template" value="example-imap"/>');
    expect(html).toContain("Your mailbox is on Example IMAP.");
  });

  it("redirects /statreg and / to /register", async () => {
    await start();
    const statreg = await call(t.app, "GET", "/statreg?lang=de");
    expect(statreg.status).toBe(301);
    expect(statreg.headers.get("location")).toBe("/register?lang=de");
    expect((await call(t.app, "GET", "/")).headers.get("location")).toBe("/register");
  });

  it("after a submit shows the success message with empty fields", async () => {
    await start();
    const res = await call(t.app, "POST", "/register", { form });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/register?done=1");
    const html = await (await call(t.app, "GET", "/register?done=1")).text();
    expect(html).toContain('id="success"');
    expect(html).toContain('name="address" value=""');
    expect(await listRegistrations(t.store)).toHaveLength(1);
  });

  it("shows a wrong field's message next to it, keeps the other values, never the password", async () => {
    await start();
    const res = await call(t.app, "POST", "/register", { form: { ...form, address: "ann.example.com" } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<span class="error-text" id="f-address-error">This is not a valid email address');
    expect(html).toMatch(
      /id="f-address" name="address" value="ann.example.com"[^>]*aria-invalid="true" aria-describedby="f-address-hint f-address-error"/,
    );
    expect(html).toContain('name="displayName" value="Ann"');
    expect(html).toContain('role="alert"');
    expect(html).not.toContain(form.password);
    expect(await listRegistrations(t.store)).toEqual([]);
  });

  it("offers the choice of servers and another server where the config allows it", async () => {
    await start({
      config: {
        registration: { enabled: true, templates: ["a", "b"], allowCustomServer: true },
        servers: [
          { id: "a", label: "Server A", protocol: "imap", host: "imap.a.example" },
          { id: "b", label: "Server B", protocol: "pop3", host: "pop.b.example" },
        ],
      },
    });
    const html = await (await call(t.app, "GET", "/register")).text();
    expect(html).toContain("<legend>Mail server</legend>");
    expect(html).toContain('id="f-template-custom"');
    const res = await call(t.app, "POST", "/register", {
      form: {
        ...form,
        template: "custom",
        "server.protocol": "imap",
        "server.host": "127.0.0.1",
        "server.port": "993",
        "server.security": "tls",
      },
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain("This server cannot be used here");
    expect(page).toContain('name="server.host" value="127.0.0.1"');
  });

  it("offers Sign in with Google where a Google provider is configured for a server", async () => {
    await start({
      config: {
        servers: [
          { id: "example-imap", label: "Example IMAP", protocol: "imap", host: "imap.example.com" },
          { id: "gmail", label: "Gmail", protocol: "imap", host: "imap.gmail.com", oauthProvider: "google" },
        ],
        oauth: {
          providers: {
            google: {
              kind: "google",
              clientId: "id",
              redirectUri: "http://localhost/register/oauth/google/callback",
            },
          },
        },
      },
    });
    const html = await (await call(t.app, "GET", "/register")).text();
    expect(html).toContain('href="/register/oauth/google/start"');
    expect(html).toContain("Sign in with Google");
    const started = await call(t.app, "GET", "/register/oauth/google/start");
    expect(started.status).toBe(302);
    expect(started.headers.get("location")).toMatch(
      /^https:\/\/accounts\.google\.com\/o\/oauth2\/v2\/auth\?/,
    );
    expect((await call(t.app, "GET", "/register/oauth/unknown/start")).status).toBe(404);
  });

  it("while closed says so with the next window's time, and a submit is refused with 403", async () => {
    const from = "2099-12-01T08:00:00.000Z";
    await start({
      config: {
        registration: {
          enabled: true,
          templates: ["example-imap"],
          windows: [{ from, until: "2099-12-02T08:00:00.000Z" }],
        },
      },
    });
    const html = await (await call(t.app, "GET", "/register")).text();
    expect(html).toContain("Registration is closed at the moment.");
    expect(html).toContain(`<time datetime="${from}">Tuesday, 1 December 2099 at 08:00 UTC</time>`);
    expect(html).not.toContain('<form method="post" action="/register"');
    const res = await call(t.app, "POST", "/register", { form });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Registration is closed");
    expect(await listRegistrations(t.store)).toEqual([]);
  });

  it("refuses a cross-site form post with 403 and stores nothing, on the public and the admin forms", async () => {
    await start();
    const res = await call(t.app, "POST", "/register", { form, origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(await listRegistrations(t.store)).toEqual([]);
    const { cookie, csrf } = await signIn(t.app);
    const admin = await call(t.app, "POST", "/admin/window", {
      cookie,
      form: { _csrf: csrf, action: "close" },
      origin: "https://evil.example",
    });
    expect(admin.status).toBe(403);
    const json = await call(t.app, "PUT", "/api/v1/admin/registration-window", {
      cookie,
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
    });
    expect(json.status).toBe(403);
    expect((await listAudit(t.store)).map((e) => e.action)).toEqual(["admin.sign-in"]);
  });
});

describe("the admin pages", () => {
  it("send to the sign-in page without a session", async () => {
    await start();
    const res = await call(t.app, "GET", "/admin/registrations?status=pending");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fregistrations%3Fstatus%3Dpending");
  });

  it("refuse a wrong password and set an HttpOnly SameSite=Strict cookie for the right one", async () => {
    await start();
    const wrong = await call(t.app, "POST", "/admin/login", { form: { user: "admin", password: "wrong" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("User name or password is wrong");
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const ok = await call(t.app, "POST", "/admin/login", {
      form: { user: TEST_ADMIN.user, password: TEST_ADMIN.password, next: "/admin/window" },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/admin/window");
    const cookie = ok.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^mailreg_session=/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
    expect((await listAudit(t.store)).map((e) => e.action)).toEqual(["admin.sign-in"]);
  });

  it("mark the session cookie Secure when the public URL is https", async () => {
    await start({ config: { server: { publicUrl: "https://mail.example.com" } } });
    const ok = await call(t.app, "POST", "/admin/login", {
      form: { user: TEST_ADMIN.user, password: TEST_ADMIN.password },
    });
    expect(ok.headers.get("set-cookie")).toContain("Secure");
  });

  it("refuse a form without the session's CSRF token", async () => {
    await start();
    const { cookie } = await signIn(t.app);
    const res = await call(t.app, "POST", "/admin/window", { cookie, form: { action: "close" } });
    expect(res.status).toBe(403);
    expect(await listAudit(t.store)).toHaveLength(1);
  });

  it("sign out ends the session: the old cookie no longer works", async () => {
    await start();
    const { cookie, csrf } = await signIn(t.app);
    const out = await call(t.app, "POST", "/admin/logout", { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect((await call(t.app, "GET", "/admin/window", { cookie })).status).toBe(303);
    expect((await call(t.app, "GET", "/api/v1/admin/registrations", { cookie })).status).toBe(401);
  });

  it("apply and reject selected registrations, with the result shown once", async () => {
    await start();
    for (const address of ["ann@example.com", "bob@example.com"]) {
      await call(t.app, "POST", "/register", { form: { ...form, address } });
    }
    const [ann, bob] = await listRegistrations(t.store);
    const { cookie, csrf } = await signIn(t.app);
    const list = await (await call(t.app, "GET", "/admin/registrations?status=pending", { cookie })).text();
    expect(list).toContain(`value="${ann!.id}"`);
    const apply = await call(t.app, "POST", "/admin/registrations/decide", {
      cookie,
      form: {
        _csrf: csrf,
        ids: [ann!.id],
        action: "apply",
        instance: "main",
        back: "/admin/registrations?status=pending",
      },
    });
    expect(apply.status).toBe(303);
    const flashCookie = apply.headers.get("set-cookie")?.split(";")[0] ?? "";
    const after = await (
      await call(t.app, "GET", "/admin/registrations?status=pending", { cookie: `${cookie}; ${flashCookie}` })
    ).text();
    expect(after).toContain("Applied ann@example.com to main: mailbox created");
    expect(after).not.toContain(`value="${ann!.id}"`);
    await call(t.app, "POST", "/admin/registrations/decide", {
      cookie,
      form: { _csrf: csrf, ids: bob!.id, action: "reject" },
    });
    expect((await listMailboxes(t.store)).map((m) => m.address)).toEqual(["ann@example.com"]);
    expect((await listRegistrations(t.store, { status: "rejected" })).map((r) => r.id)).toEqual([bob!.id]);
  });

  it("open, close and schedule registration from the window page, times read in the site's zone", async () => {
    await start({ deps: { timeZone: "Europe/Berlin" } });
    const { cookie, csrf } = await signIn(t.app);
    await call(t.app, "POST", "/admin/window", { cookie, form: { _csrf: csrf, action: "close" } });
    expect(await (await call(t.app, "GET", "/admin/window", { cookie })).text()).toContain(
      'id="window-state">closed',
    );
    const res = await call(t.app, "POST", "/admin/window", {
      cookie,
      form: {
        _csrf: csrf,
        action: "schedule",
        from_0: "2099-07-01T09:00",
        until_0: "2099-07-01T17:30",
        from_1: "",
        until_1: "",
      },
    });
    expect(res.status).toBe(303);
    const api = await call(t.app, "GET", "/api/v1/admin/registration-window", { token: TEST_ADMIN.token });
    expect(await api.json()).toMatchObject({
      mode: "scheduled",
      windows: [{ from: "2099-07-01T07:00:00.000Z", until: "2099-07-01T15:30:00.000Z" }],
    });
    const bad = await call(t.app, "POST", "/admin/window", {
      cookie,
      form: { _csrf: csrf, action: "schedule", from_0: "2099-07-02T09:00", until_0: "2099-07-01T09:00" },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('id="f-until_0-error"');
    await setOpenNow(t.store, true, { actor: "test" });
  });

  it("show mailboxes, instances, templates and the audit log", async () => {
    await start();
    await call(t.app, "POST", "/register", { form });
    const [reg] = await listRegistrations(t.store);
    const { cookie, csrf } = await signIn(t.app);
    await call(t.app, "POST", "/admin/registrations/decide", {
      cookie,
      form: { _csrf: csrf, ids: reg!.id, action: "apply" },
    });
    expect(await (await call(t.app, "GET", "/admin/mailboxes", { cookie })).text()).toContain(
      "ann@example.com",
    );
    const config = await (await call(t.app, "GET", "/admin/config", { cookie })).text();
    expect(config).toContain("example-imap");
    expect(config).toContain("<code>main</code>");
    const audit = await (await call(t.app, "GET", "/admin/audit", { cookie })).text();
    expect(audit).toContain("registration.apply");
  });
});
