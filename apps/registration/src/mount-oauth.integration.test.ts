// "Sign in with …" on the registration app mounted under /mail of a host app, against a real OpenID
// provider (oauth2-mock-server from tools/mailservers, whose /authorize signs in at once).
import { type OAuthProviderHandle, startOAuthProvider } from "@mailreg/mailservers";
import { listRegistrations } from "@mailreg/store";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./testing.ts";

const OWNER = "ann@example.com";
const REDIRECT = "http://localhost/mail/register/oauth/corp/callback";

let provider: OAuthProviderHandle;
let t: TestApp;
beforeAll(async () => {
  provider = await startOAuthProvider({ defaultEmail: OWNER });
});
afterAll(() => provider?.stop());
afterEach(() => t?.close());

describe("OAuth sign-in under /mail", () => {
  it("starts under /mail, keeps the flow cookie there, takes the callback and redirects to /mail/register?done=1", async () => {
    t = await createTestApp({
      config: {
        registration: { enabled: true, templates: ["corp-imap"] },
        servers: [
          {
            id: "corp-imap",
            label: "Corp mail",
            protocol: "imap",
            host: "imap.corp.example",
            oauthProvider: "corp",
          },
        ],
        oauth: {
          providers: {
            corp: {
              kind: "oidc",
              issuer: provider.issuer,
              clientId: "mailreg-test",
              clientSecret: "client-secret-9c1f",
              redirectUri: REDIRECT,
            },
          },
        },
      },
    });
    const host = new Hono();
    host.route("/mail", t.app);
    const get = (url: string, cookie?: string) =>
      host.request(url, cookie === undefined ? {} : { headers: { cookie } }, { remoteAddress: "192.0.2.10" });

    const page = await (await get("/mail/register")).text();
    expect(page).toContain('href="/mail/register/oauth/corp/start"');
    const started = await get("/mail/register/oauth/corp/start");
    expect(started.status).toBe(302);
    const setCookie = started.headers.get("set-cookie") ?? "";
    expect(setCookie).toContain("Path=/mail/register/oauth/corp/;");
    const authorize = new URL(started.headers.get("location") ?? "");
    expect(authorize.searchParams.get("redirect_uri")).toBe(REDIRECT);
    const atProvider = await fetch(authorize, { redirect: "manual" });
    await atProvider.body?.cancel();
    const callback = new URL(atProvider.headers.get("location") ?? "");
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);

    const done = await get(callback.href, setCookie.split(";")[0]);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/mail/register?done=1");
    // the flow cookie is deleted where it was set
    expect(done.headers.get("set-cookie")).toMatch(
      /^mailreg_oauth_corp=; Max-Age=0; Path=\/mail\/register\/oauth\/corp\/(;|$)/,
    );
    expect((await listRegistrations(t.store)).map((r) => [r.address, r.authMethod])).toEqual([
      [OWNER, "oauth2"],
    ]);
  });
});
