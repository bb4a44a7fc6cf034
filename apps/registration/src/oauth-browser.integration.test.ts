// The owner's OAuth sign-in in a real browser (Debian's Chromium), end to end with real peers: the
// registration server, oauth2-mock-server as the provider (its /authorize signs in at once: that is
// its "page"), and a Dovecot that accepts that provider's tokens, so verify-on-submit and the
// admin's "check" log in with XOAUTH2/OAUTHBEARER.
import { open } from "@mailreg/crypto-registry";
import {
  type DovecotHandle,
  freePorts,
  type OAuthProviderHandle,
  startDovecot,
  startOAuthProvider,
} from "@mailreg/mailservers";
import { getGrantState, listMailboxes, listRegistrations, setGrantState } from "@mailreg/store";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN, launchChromium, shot, startServer } from "../test/browser-harness.ts";
import { imapSyncChecks } from "./mail-checks.ts";

const owner = `oauth-owner-${process.pid}@example.test`;

let provider: OAuthProviderHandle;
let dovecot: DovecotHandle;
let server: Awaited<ReturnType<typeof startServer>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  provider = await startOAuthProvider({ defaultEmail: owner });
  dovecot = await startDovecot({
    oauth2: { issuer: provider.issuer, kid: provider.kid, publicKeyPem: provider.publicKeyPem },
  });
  // the redirect URI is registered before the server starts, so the port is chosen first
  const [port] = await freePorts(1);
  server = await startServer(
    {
      registration: { enabled: true, templates: ["password-imap"], verifyOnSubmit: true },
      servers: [
        {
          id: "password-imap",
          label: "Password IMAP",
          protocol: "imap",
          host: dovecot.host,
          port: dovecot.imapsPort,
        },
        {
          id: "corp-imap",
          label: "Corp mail (OAuth)",
          protocol: "imap",
          host: dovecot.host,
          port: dovecot.imapsPort,
          security: "tls",
          authMethods: ["xoauth2"],
          oauthProvider: "corp",
          tls: { verify: true, servername: dovecot.servername },
        },
      ],
      instances: [{ id: "main", label: "Head office" }],
      oauth: {
        providers: {
          corp: {
            kind: "oidc",
            issuer: provider.issuer,
            clientId: "mailreg-browser",
            clientSecret: "browser-client-secret",
            redirectUri: `http://127.0.0.1:${port}/register/oauth/corp/callback`,
          },
        },
      },
    },
    { port: port!, ...imapSyncChecks({ ca: dovecot.caPem }) },
  );
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await Promise.all([dovecot?.stop(), provider?.stop()]);
});

beforeEach(async () => {
  await context?.close();
  context = await chromium.browser.newContext({ locale: "en-GB", viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
});

const store = () => server.context.store;

async function adminSignIn(p: Page) {
  await p.goto(`${server.url}/admin/login?lang=en`);
  await p.getByLabel("User name").fill(ADMIN.user);
  await p.getByLabel("Password").fill(ADMIN.password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/admin\/registrations/);
}

async function applyPending(p: Page, address: string, replace = false) {
  await p.goto(`${server.url}/admin/registrations?status=pending`);
  await p
    .getByRole("checkbox", { name: `Select ${address}` })
    .first()
    .check();
  if (replace) await p.getByLabel("Replace existing mailboxes (login, server and secret)").check();
  await p.getByRole("button", { name: "Apply selected" }).click();
  await expect.poll(() => p.locator("#flash").textContent()).toContain(`Applied ${address} to main`);
}

describe("Sign in with an OAuth provider, in a real browser", () => {
  it("the owner clicks 'Sign in', passes the provider's page and the callback, and is registered", async () => {
    await page.goto(`${server.url}/register`);
    const providerPages: string[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(provider.issuer)) providerPages.push(new URL(r.url()).pathname);
    });
    await page.getByRole("link", { name: "Sign in with corp" }).click();
    await page.waitForURL(/\/register\?done=1$/);
    expect(providerPages).toEqual(["/authorize"]);
    await expect.poll(() => page.locator("#success").textContent()).toContain("your mailbox is registered");
    await shot(page, "13-register-oauth-done");

    const [record, ...others] = await listRegistrations(store());
    expect(others).toEqual([]);
    expect(record).toMatchObject({ address: owner, login: owner, authMethod: "oauth2", status: "pending" });
    const profile = await open(record!.sealed, server.context.keyring, {
      registrationId: record!.id,
      address: owner,
    });
    expect(profile).toMatchObject({
      host: dovecot.host,
      port: dovecot.imapsPort,
      auth: { method: "oauth2", provider: "corp", refreshToken: expect.any(String) },
    });
    // the sealed refresh token is a real one: the provider gives an access token for it
    const refreshed = await fetch(provider.tokenEndpoint, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: (profile.auth as { refreshToken: string }).refreshToken,
        client_id: "mailreg-browser",
      }),
    });
    expect(refreshed.status).toBe(200);
  });

  it("a tampered state comes back as a clear error page and nothing is stored", async () => {
    const before = (await listRegistrations(store())).length;
    // Chromium does not hand redirects to route handlers, so the sign-in's first request plays the
    // whole round trip: the app's redirect (with its cookie), the provider's page, and its answer
    // with the state changed on the way back
    await page.route(`${server.url}/register/oauth/corp/start`, async (route) => {
      const started = await route.fetch({ maxRedirects: 0 });
      const atProvider = await fetch(started.headers().location ?? "", { redirect: "manual" });
      await atProvider.body?.cancel();
      const answer = new URL(atProvider.headers.get("location") ?? "");
      answer.searchParams.set("state", "forged-state-forged-state-forged-sta");
      const setCookie = started.headers()["set-cookie"] ?? "";
      await route.fulfill({ status: 302, headers: { location: answer.href, "set-cookie": setCookie } });
    });
    await page.goto(`${server.url}/register`);
    await page.getByRole("link", { name: "Sign in with corp" }).click();
    await page.waitForURL(/\/register\/oauth\/corp\/callback/);
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain("This sign-in answer does not belong to a sign-in started on this page");
    expect(await page.getByRole("alert").textContent()).toContain("Nothing was registered.");
    await shot(page, "14-register-oauth-tampered");
    expect(await listRegistrations(store())).toHaveLength(before);
  });

  it("the admin applies it, checks it with XOAUTH2, sees 'must grant again' after a revoked grant, and the owner's new grant link renews it", async () => {
    await adminSignIn(page);
    await applyPending(page, owner);
    const [mailbox] = await listMailboxes(store());
    expect(mailbox).toMatchObject({ address: owner, authMethod: "oauth2" });

    await page.goto(`${server.url}/admin/mailboxes`);
    await page.getByRole("button", { name: `Check ${owner}` }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toContain(`${owner}: login works`);

    // the provider revokes the grant: the next token refresh answers invalid_grant
    server.context.tokens.forget(mailbox!.id);
    const revoke = (response: { statusCode: number; body: unknown }) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant", error_description: "Token has been revoked." };
    };
    provider.server.service.once("beforeResponse", revoke);
    await page.getByRole("button", { name: `Check ${owner}` }).click();
    await expect
      .poll(() => page.locator("#flash").textContent())
      .toContain(`${owner}: the owner must grant permission again`);
    expect((await getGrantState(store(), mailbox!.id)).state).toBe("must-grant-again");

    await page.getByRole("link", { name: "OAuth", exact: true }).click();
    const row = page.locator("#oauth-mailboxes tr", { hasText: owner });
    await expect.poll(() => row.textContent()).toContain("must grant again");
    expect(await row.textContent()).toContain("Token has been revoked.");
    expect(await page.getByLabel("Redirect URI of corp").inputValue()).toBe(
      `${server.url}/register/oauth/corp/callback`,
    );
    const link = await page.getByLabel(`New grant link for ${owner}`).inputValue();
    expect(link).toBe(`${server.url}/register/oauth/corp/start?login_hint=${encodeURIComponent(owner)}`);
    await shot(page, "15-admin-oauth");

    // the owner opens the link in a browser of their own
    const ownerContext = await chromium.browser.newContext({ locale: "en-GB" });
    try {
      const ownerPage = await ownerContext.newPage();
      await ownerPage.goto(link);
      await ownerPage.waitForURL(/\/register\?done=1$/);
    } finally {
      await ownerContext.close();
    }
    // a new grant replaces the mailbox's token: the admin confirms it
    await applyPending(page, owner, true);
    await expect.poll(() => page.locator("#flash").textContent()).toContain("mailbox updated");
    expect((await getGrantState(store(), mailbox!.id)).state).toBe("granted");
    await page.goto(`${server.url}/admin/oauth`);
    await expect.poll(() => row.textContent()).toContain("granted");
    await page.goto(`${server.url}/admin/mailboxes`);
    await page.getByRole("button", { name: `Check ${owner}` }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toContain(`${owner}: login works`);
  });

  it("the worker's setGrantState() shows on the OAuth page", async () => {
    const [mailbox] = await listMailboxes(store());
    await setGrantState(
      store(),
      mailbox!.id,
      "must-grant-again",
      "AADSTS70008: the refresh token has expired",
    );
    await adminSignIn(page);
    await page.goto(`${server.url}/admin/oauth`);
    await expect
      .poll(() => page.locator("#oauth-mailboxes tr", { hasText: owner }).textContent())
      .toContain("AADSTS70008");
  });
});
