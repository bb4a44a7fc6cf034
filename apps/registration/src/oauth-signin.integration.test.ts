// "Sign in with …" on the registration page, route by route (app.request) against a real OpenID
// provider: oauth2-mock-server from tools/mailservers, whose /authorize signs in at once.
import type { ConfigInput } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import { type OAuthProviderHandle, startOAuthProvider } from "@mailreg/mailservers";
import { listRegistrations, setOpenNow } from "@mailreg/store";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, createTestApp, type TestApp } from "./testing.ts";

const OWNER = "ann@example.com";
const CLIENT_SECRET = "client-secret-5b0e91";
const REDIRECT = "http://localhost/register/oauth/corp/callback";

let provider: OAuthProviderHandle;
let t: TestApp;
/** Token requests the provider answered since the test began. */
let tokenRequests: { grant_type?: unknown }[];
/** Every response the app gave, status, headers and body, to search for secrets. */
let seen: string[];

beforeAll(async () => {
  provider = await startOAuthProvider({ defaultEmail: OWNER });
  provider.server.service.on(
    "beforeResponse",
    (_response: unknown, req: { body: { grant_type?: unknown } }) => {
      tokenRequests.push({ grant_type: req.body.grant_type });
    },
  );
});
afterAll(() => provider?.stop());
beforeEach(() => {
  tokenRequests = [];
  seen = [];
});
afterEach(() => t?.close());

function config(overrides: ConfigInput = {}): ConfigInput {
  return {
    registration: { enabled: true, templates: ["example-imap"] },
    servers: [
      { id: "example-imap", label: "Example IMAP", protocol: "imap", host: "imap.example.com" },
      {
        id: "corp-imap",
        label: "Corp mail",
        protocol: "imap",
        host: "imap.corp.example",
        security: "tls",
        authMethods: ["xoauth2"],
        oauthProvider: "corp",
      },
    ],
    oauth: {
      providers: {
        corp: {
          kind: "oidc",
          issuer: provider.issuer,
          clientId: "mailreg-test",
          clientSecret: CLIENT_SECRET,
          redirectUri: REDIRECT,
        },
      },
    },
    ...overrides,
  };
}

async function request(path: string, cookie?: string): Promise<Response> {
  const res = await call(t.app, "GET", path, cookie === undefined ? {} : { cookie });
  seen.push(`${res.status} ${[...res.headers].join(" ")}\n${await res.clone().text()}`);
  return res;
}

/** "Sign in with …": start, then the provider's page (which redirects at once). */
async function signIn(start = "/register/oauth/corp/start") {
  const started = await request(start);
  expect(started.status).toBe(302);
  const cookie = started.headers.get("set-cookie")?.split(";")[0] ?? "";
  const authorize = new URL(started.headers.get("location") ?? "");
  const atProvider = await fetch(authorize, { redirect: "manual" });
  await atProvider.body?.cancel();
  const callback = new URL(atProvider.headers.get("location") ?? "");
  return { started, cookie, authorize, callback };
}

/** The text of a page's main region, without markup. */
async function text(res: Response): Promise<string> {
  const html = await res.text();
  return html
    .slice(html.indexOf("<main"))
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");
}

async function expectNothingStored() {
  expect(await listRegistrations(t.store)).toEqual([]);
}

describe("Sign in with an OAuth provider", () => {
  it("stores a pending oauth2 registration whose sealed profile opens to a working refresh token", async () => {
    t = await createTestApp({ config: config() });
    const page = await (await request("/register")).text();
    expect(page).toContain('href="/register/oauth/corp/start"');
    expect(page).toContain("Sign in with corp");

    const { started, cookie, authorize, callback } = await signIn();
    expect(started.headers.get("set-cookie")).toMatch(
      /^mailreg_oauth_corp=[^;]+; Max-Age=600; Path=\/register\/oauth\/corp\/; HttpOnly; SameSite=Lax$/,
    );
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.issuer}/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "mailreg-test",
      redirect_uri: REDIRECT,
      code_challenge_method: "S256",
    });
    expect(authorize.searchParams.get("state")).toMatch(/^[\w-]{22,}$/);
    expect(authorize.searchParams.get("nonce")).toMatch(/^[\w-]{22,}$/);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);

    const done = await request(callback.href, cookie);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/register?done=1");
    expect(done.headers.get("set-cookie")).toMatch(
      /^mailreg_oauth_corp=; Max-Age=0; Path=\/register\/oauth\/corp\//,
    );
    expect(await text(await request("/register?done=1"))).toContain("your mailbox is registered");

    const [record, ...others] = await listRegistrations(t.store);
    expect(others).toEqual([]);
    expect(record).toMatchObject({
      address: OWNER,
      login: OWNER,
      authMethod: "oauth2",
      status: "pending",
      template: "corp-imap",
      host: "imap.corp.example",
      port: 993,
      security: "tls",
    });
    const profile = await open(record!.sealed, t.keyring, { registrationId: record!.id, address: OWNER });
    expect(profile.auth).toMatchObject({
      method: "oauth2",
      provider: "corp",
      refreshToken: expect.any(String),
    });
    const refreshToken = (profile.auth as { refreshToken: string }).refreshToken;
    const refreshed = await fetch(`${provider.issuer}/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "x" }),
    });
    expect(refreshed.status).toBe(200);

    // no token in any answer, log line or clear field
    const code = callback.searchParams.get("code") ?? "";
    for (const secret of [refreshToken, code, CLIENT_SECRET]) {
      for (const s of [...seen, ...t.logs, JSON.stringify({ ...record, sealed: "" })])
        expect(s).not.toContain(secret);
    }
  });

  it("passes a login hint (a 'grant again' link) to the provider and registers that account", async () => {
    t = await createTestApp({ config: config() });
    const { cookie, authorize, callback } = await signIn(
      "/register/oauth/corp/start?login_hint=Bob@Example.COM",
    );
    expect(authorize.searchParams.get("login_hint")).toBe("Bob@example.com");
    expect((await request(callback.href, cookie)).status).toBe(303);
    expect((await listRegistrations(t.store)).map((r) => r.address)).toEqual(["Bob@example.com"]);
    expect((await request("/register/oauth/corp/start?login_hint=not-an-address")).status).toBe(400);
  });

  it("refuses a callback whose state was tampered with, and one without its sign-in cookie", async () => {
    t = await createTestApp({ config: config() });
    const { cookie, callback } = await signIn();
    const tampered = new URL(callback);
    tampered.searchParams.set("state", "x".repeat(43));
    const res = await request(tampered.href, cookie);
    expect(res.status).toBe(400);
    expect(await text(res)).toContain(
      "This sign-in answer does not belong to a sign-in started on this page: it was changed, is older than ten minutes, or was already used. Please start the sign-in again. Nothing was registered.",
    );
    const elsewhere = await request(callback.href);
    expect(elsewhere.status).toBe(400);
    expect(await text(elsewhere)).toContain("does not belong to a sign-in started on this page");
    expect(tokenRequests).toEqual([]);
    await expectNothingStored();
  });

  it("refuses a replayed code: the provider does not exchange it twice", async () => {
    t = await createTestApp({ config: config() });
    const { cookie, callback } = await signIn();
    expect((await request(callback.href, cookie)).status).toBe(303);
    // the browser dropped the cookie; an attacker who kept it replays both
    const replayed = await request(callback.href, cookie);
    expect(replayed.status).toBe(400);
    expect(await text(replayed)).toContain(
      "corp did not accept this sign-in answer: it was already used or has expired. Please start the sign-in again. Nothing was registered.",
    );
    expect(await listRegistrations(t.store)).toHaveLength(1);
  });

  it("refuses an answer that arrives at another address than the configured redirect URI", async () => {
    t = await createTestApp({ config: config() });
    const { cookie, callback } = await signIn();
    const moved = new URL(`http://127.0.0.1:8080${callback.pathname}${callback.search}`);
    const res = await request(moved.href, cookie);
    expect(res.status).toBe(400);
    expect(await text(res)).toContain(
      "The sign-in came back to an address this site is not set up for. Please ask the administrator to check the redirect URI of corp. Nothing was registered.",
    );
    expect(tokenRequests).toEqual([]); // refused before the code is exchanged
    await expectNothingStored();
  });

  it("refuses an ID token issued for another application", async () => {
    t = await createTestApp({ config: config() });
    const otherAudience = (token: { payload: Record<string, unknown> }) => {
      token.payload.aud = "another-app";
    };
    provider.server.service.on("beforeTokenSigning", otherAudience);
    try {
      const { cookie, callback } = await signIn();
      const res = await request(callback.href, cookie);
      expect(res.status).toBe(400);
      expect(await text(res)).toContain(
        "The identity corp sent could not be verified: it was issued for another application, has expired, or was altered. Nothing was registered.",
      );
    } finally {
      provider.server.service.off("beforeTokenSigning", otherAudience);
    }
    expect(
      t.logs.some((l) => l.includes('"code":"OAUTH_ID_TOKEN_INVALID"') && l.includes('"reason":"id-token"')),
    ).toBe(true);
    await expectNothingStored();
  });

  it("refuses an unverified address, a domain not allowed, a declined sign-in and one without a refresh token", async () => {
    const refusals: [string, string][] = [];
    const run = async (label: string, tweak?: (callback: URL, authorize: URL) => URL) => {
      const { cookie, callback, authorize } = await signIn();
      const res = await request((tweak?.(callback, authorize) ?? callback).href, cookie);
      refusals.push([label, `${res.status} ${await text(res)}`]);
    };
    t = await createTestApp({ config: config() });
    const unverified = (token: { payload: Record<string, unknown> }) => {
      token.payload.email_verified = false;
    };
    provider.server.service.on("beforeTokenSigning", unverified);
    await run("unverified").finally(() => provider.server.service.off("beforeTokenSigning", unverified));
    await run("declined", (_callback, authorize) => {
      const url = new URL(REDIRECT);
      url.search = new URLSearchParams({
        error: "access_denied",
        state: authorize.searchParams.get("state")!,
      }).toString();
      return url;
    });
    const noRefresh = (response: { body: Record<string, unknown> }) => {
      delete response.body.refresh_token;
    };
    provider.server.service.once("beforeResponse", noRefresh);
    await run("no refresh token");
    t.close();
    t = await createTestApp({
      config: config({
        registration: { enabled: true, templates: ["example-imap"], allowedDomains: ["example.org"] },
      }),
    });
    await run("domain");
    expect(Object.fromEntries(refusals)).toEqual({
      unverified: expect.stringMatching(
        /^400 .*corp has not verified the email address of this account\. Nothing/,
      ),
      declined: expect.stringMatching(/^400 .*The sign-in was declined at corp\. Nothing was registered\./),
      "no refresh token": expect.stringMatching(/^400 .*corp did not grant lasting access to the mailbox/),
      domain: expect.stringMatching(/^400 .*Addresses of this domain cannot be registered here\. Nothing/),
    });
    await expectNothingStored();
  });

  it("while registration is closed neither sends the owner to the provider nor stores an answer", async () => {
    t = await createTestApp({ config: config() });
    const { cookie, callback } = await signIn();
    await setOpenNow(t.store, false, { actor: "admin" });
    const start = await request("/register/oauth/corp/start");
    expect(start.status).toBe(403);
    expect(start.headers.get("location")).toBeNull();
    expect(await text(start)).toContain("Registration is closed at the moment.");
    expect((await request(callback.href, cookie)).status).toBe(403);
    expect(tokenRequests).toEqual([]);
    await expectNothingStored();
  });

  it("counts answers against the registration rate limit", async () => {
    t = await createTestApp({
      config: config({ registration: { enabled: true, templates: ["example-imap"], rateLimit: { max: 1 } } }),
    });
    const first = await signIn();
    const second = await signIn();
    expect((await request(first.callback.href, first.cookie)).status).toBe(303);
    const limited = await request(second.callback.href, second.cookie);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await listRegistrations(t.store)).toHaveLength(1);
  });

  it("offers only providers with a linked server template; others and unknown ones are not found", async () => {
    t = await createTestApp({
      config: config({
        servers: [{ id: "example-imap", label: "Example IMAP", protocol: "imap", host: "imap.example.com" }],
      }),
    });
    expect(await (await request("/register")).text()).not.toContain("/register/oauth/");
    expect((await request("/register/oauth/corp/start")).status).toBe(404);
    expect((await request("/register/oauth/nobody/start")).status).toBe(404);
    expect((await request("/register/oauth/nobody/callback?code=c&state=s")).status).toBe(404);
  });
});
