import type { ConfigInput } from "@mailreg/core";
import { applyRegistration, insertRegistration, setGrantState } from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

const GOOGLE_SECRET = "google-client-secret-77d1";

async function start(instances?: ConfigInput["instances"]) {
  t = await createTestApp({
    config: {
      ...(instances === undefined ? {} : { instances }),
      registration: { enabled: true, templates: ["example-imap"] },
      servers: [
        { id: "example-imap", label: "Example IMAP", protocol: "imap", host: "imap.example.com" },
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
            redirectUri: "https://reg.example.org/register/oauth/corp/callback",
          },
          google: {
            kind: "google",
            clientId: "1234.apps.googleusercontent.com",
            clientSecret: GOOGLE_SECRET,
            redirectUri: "https://reg.example.org/oauth/google",
          },
        },
      },
    },
  });
  return await signIn(t.app);
}

/** An applied OAuth mailbox of `address` on the corp template; returns its id. */
async function oauthMailbox(address: string, instanceId = "main"): Promise<string> {
  const record = await insertRegistration(
    t.store,
    makeRegistration({ address, authMethod: "oauth2", template: "corp-imap", host: "imap.corp.example" }),
  );
  const { mailbox } = await applyRegistration(t.store, {
    id: record.id,
    instanceId,
    actor: "admin",
    profile: makeProfile(record),
  });
  return mailbox.id;
}

const textOf = (html: string) =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");

describe("the admin's OAuth page", () => {
  it("lists the OAuth apps with client id and redirect URI to copy, and whether a secret is set, never the secret", async () => {
    const { cookie } = await start();
    const res = await call(t.app, "GET", "/admin/oauth", { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('href="/admin/oauth" aria-current="page"');
    expect(html).toContain('value="https://reg.example.org/register/oauth/corp/callback"');
    expect(html).toContain('aria-label="Redirect URI of Google"');
    expect(html).not.toContain(GOOGLE_SECRET);
    const text = textOf(html);
    expect(text).toContain(
      "corp corp https://id.corp.example mailreg-corp not set (public client) corp-imap",
    );
    expect(text).toMatch(/google Google 1234\.apps\.googleusercontent\.com .* set none linked/);
    // Google's redirect URI does not lead to this site's callback: the page says which one does
    expect(text).toContain(
      "This site takes the sign-in answer at https://reg.example.org/register/oauth/google/callback",
    );
    expect(text).toContain("none linked (servers[].oauthProvider): sign-in not offered");
  });

  it("shows each OAuth mailbox's grant state and a new grant link for its owner", async () => {
    const { cookie } = await start();
    const ann = await oauthMailbox("ann@example.com");
    await oauthMailbox("bob@example.com");
    await setGrantState(t.store, ann, "must-grant-again", "Token has been expired or revoked.");
    const html = await (await call(t.app, "GET", "/admin/oauth", { cookie })).text();
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
      .map((m) => textOf(m[1]!))
      .filter((r) => r.includes("@"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /ann@example\.com main corp must grant again since .* Token has been expired or revoked\./,
    );
    expect(rows[1]).toMatch(/bob@example\.com main corp granted /);
    expect(html).toContain(
      'value="https://reg.example.org/register/oauth/corp/start?login_hint=ann%40example.com" aria-label="New grant link for ann@example.com"',
    );
    // the link is open where the owner must grant again
    expect(html).toMatch(
      /<details open="">\s*<summary>Send the owner a new grant link<\/summary>\s*<input[^>]+ann%40/,
    );
  });

  it("shows the mailboxes of an app-only instance as logging in with the app's own access, with no grant link, and the app with its instances", async () => {
    const { cookie } = await start([
      { id: "main", label: "Main" },
      { id: "tenant", label: "Tenant", oauthAppOnly: { provider: "corp" } },
    ]);
    const carl = await oauthMailbox("carl@example.com", "tenant");
    // a refused owner grant recorded earlier does not count for an app-only mailbox
    await setGrantState(t.store, carl, "must-grant-again", "Token has been expired or revoked.");
    await oauthMailbox("dora@example.com");
    const html = await (await call(t.app, "GET", "/admin/oauth", { cookie })).text();
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1]!));
    const mailboxRows = rows.filter((r) => r.includes("@"));
    expect(mailboxRows[0]).toContain(
      "carl@example.com tenant corp app-only (no owner grant) Its instance logs in with the app of corp: no owner grant is needed",
    );
    expect(mailboxRows[1]).toMatch(/dora@example\.com main corp granted /);
    expect(html).not.toContain("login_hint=carl%40example.com");
    expect(rows.find((r) => r.includes("mailreg-corp"))).toContain("App-only access for instances: tenant");
  });

  it("needs an admin session", async () => {
    await start();
    const res = await call(t.app, "GET", "/admin/oauth");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("/admin/login");
  });
});
