// App-only (client-credentials) tokens against a real OpenID provider (oauth2-mock-server): the
// requests it receives are counted there, and a refusal is the mock's own answer.

import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MockIssuer, startMockIssuer } from "../test/mock-issuer.ts";
import {
  APP_ONLY_REFRESH_TOKEN,
  appAccessToken,
  appOnlyProfileAuth,
  isAppOnlyProfileAuth,
} from "./app-only.ts";
import type { OAuthProvider } from "./provider.ts";
import { google } from "./providers/google.ts";
import { oidc } from "./providers/oidc.ts";
import { TokenManager } from "./token-manager.ts";

const SECRET = "app-client-secret-7c1e";
let mock: MockIssuer;
let providers: Map<string, OAuthProvider>;
let clock: number;
const now = () => clock;

beforeAll(async () => {
  mock = await startMockIssuer();
  const app = { kind: "oidc", issuer: mock.issuer, redirectUri: "http://127.0.0.1:9/cb" };
  providers = new Map([
    ["tenant", oidc({ ...app, clientId: "tenant-app", clientSecret: SECRET })],
    ["other", oidc({ ...app, clientId: "other-app", clientSecret: "other-secret" })],
    [
      "gmail",
      google({ kind: "google", clientId: "g", clientSecret: "s", redirectUri: "https://x.example/cb" }),
    ],
  ]);
  // the issuer refuses other-app's secret, as a server does once the secret was revoked
  mock.server.service.on(
    "beforeResponse",
    (response: { statusCode: number; body: unknown }, req: { body: Record<string, unknown> }) => {
      if (req.body.grant_type !== "client_credentials" || req.body.client_id !== "other-app") return;
      response.statusCode = 401;
      response.body = { error: "invalid_client", error_description: "The client secret was revoked." };
    },
  );
});
afterAll(() => mock.stop());
beforeEach(() => {
  clock = Date.UTC(2030, 0, 1);
  mock.tokenRequests.length = 0;
});

describe("appAccessToken()", () => {
  it("asks with client_credentials and the app's own secret, then reuses the token until it is within the margin of expiry", async () => {
    const tokenManager = new TokenManager({ now, marginSeconds: 60 });
    const appOnly = { provider: "tenant", scopes: ["mail.imap", "mail.smtp"] };
    const first = await appAccessToken({ appOnly, providers, tokenManager });
    expect(mock.tokenRequests).toHaveLength(1);
    expect(mock.tokenRequests[0]?.body).toEqual({
      grant_type: "client_credentials",
      scope: "mail.imap mail.smtp",
      client_id: "tenant-app",
      client_secret: SECRET,
    });

    clock += (3600 - 61) * 1000; // the mock's tokens live 3600 s: 61 s left
    expect(await appAccessToken({ appOnly, providers, tokenManager })).toBe(first);
    expect(mock.count("client_credentials")).toBe(1);

    clock += 2000; // 59 s left: inside the margin
    expect(await appAccessToken({ appOnly, providers, tokenManager })).not.toBe(first);
    expect(mock.count("client_credentials")).toBe(2);
  });

  it("makes one request for many concurrent mailboxes, and one more for other scopes", async () => {
    const tokenManager = new TokenManager({ now });
    const same = await Promise.all(
      Array.from({ length: 10 }, () =>
        appAccessToken({ appOnly: { provider: "tenant" }, providers, tokenManager }),
      ),
    );
    expect(new Set(same).size).toBe(1);
    expect(mock.count("client_credentials")).toBe(1);
    // no scopes configured for an oidc provider: none are sent, the server grants its default
    expect(mock.tokenRequests[0]?.body.scope).toBeUndefined();

    const scoped = await appAccessToken({
      appOnly: { provider: "tenant", scopes: ["x"] },
      providers,
      tokenManager,
    });
    expect(scoped).not.toBe(same[0]);
    expect(mock.count("client_credentials")).toBe(2);
  });

  it("a revoked client secret is OAUTH_INVALID_CLIENT for the admin, is not cached, and leaves other apps' tokens alone", async () => {
    const tokenManager = new TokenManager({ now });
    const good = await appAccessToken({ appOnly: { provider: "tenant" }, providers, tokenManager });
    const error = await expectMailregError(
      appAccessToken({ appOnly: { provider: "other" }, providers, tokenManager }),
      "OAUTH_INVALID_CLIENT",
    );
    expect(error.details).toEqual({
      status: 401,
      error: "invalid_client",
      error_description: "The client secret was revoked.",
    });
    expectNoSecret(error, "other-secret");
    await expectMailregError(
      appAccessToken({ appOnly: { provider: "other" }, providers, tokenManager }),
      "OAUTH_INVALID_CLIENT",
    );
    expect(mock.tokenRequests.filter((r) => r.body.client_id === "other-app")).toHaveLength(2);
    expect(await appAccessToken({ appOnly: { provider: "tenant" }, providers, tokenManager })).toBe(good);
  });

  it("refuses a provider missing from the config, and one that offers no app-only access, as CONFIG_INVALID", async () => {
    const tokenManager = new TokenManager({ now });
    const missing = await expectMailregError(
      appAccessToken({ appOnly: { provider: "gone" }, providers, tokenManager }),
      "CONFIG_INVALID",
    );
    expect(missing.details).toEqual({ provider: "gone" });
    const gmail = await expectMailregError(
      appAccessToken({ appOnly: { provider: "gmail" }, providers, tokenManager }),
      "CONFIG_INVALID",
    );
    expect(gmail.message).toContain("offers no app-only access");
    expect(mock.tokenRequests).toHaveLength(0);
  });
});

describe("appOnlyProfileAuth()", () => {
  it("is an oauth2 auth without an owner's refresh token, and is recognised as such", () => {
    const auth = appOnlyProfileAuth("tenant");
    expect(auth).toEqual({ method: "oauth2", provider: "tenant", refreshToken: APP_ONLY_REFRESH_TOKEN });
    expect(isAppOnlyProfileAuth(auth)).toBe(true);
    expect(isAppOnlyProfileAuth({ method: "oauth2", provider: "tenant", refreshToken: "rt-1" })).toBe(false);
    expect(isAppOnlyProfileAuth({ method: "password", password: "pw" })).toBe(false);
  });
});
