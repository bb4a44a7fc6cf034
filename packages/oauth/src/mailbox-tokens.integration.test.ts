// mailboxAccessToken() against a real OpenID provider (oauth2-mock-server): the profile picks the
// provider, the token manager caches, a rotated refresh token is saved before the token is used.
import type { ConnectionProfile } from "@mailreg/core";
import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MockIssuer, startMockIssuer } from "../test/mock-issuer.ts";
import { mailboxAccessToken } from "./mailbox-tokens.ts";
import { createOAuthProviders } from "./registry.ts";
import { TokenManager } from "./token-manager.ts";

let mock: MockIssuer;
let providers: ReturnType<typeof createOAuthProviders>;

const profile = (auth: ConnectionProfile["auth"]): ConnectionProfile => ({
  v: 1,
  address: "ann@example.org",
  protocol: "imap",
  host: "imap.example.org",
  port: 993,
  security: "tls",
  login: "ann@example.org",
  auth,
});

beforeAll(async () => {
  mock = await startMockIssuer();
  providers = createOAuthProviders({
    corp: {
      kind: "oidc",
      issuer: mock.issuer,
      clientId: "mailreg-test",
      clientSecret: "client-secret",
      redirectUri: "http://127.0.0.1:9/cb",
    },
  });
});
afterAll(() => mock.stop());
beforeEach(() => {
  mock.tokenRequests.length = 0;
});

describe("mailboxAccessToken()", () => {
  it("refreshes with the profile's provider and refresh token, saves the rotated one first, then caches", async () => {
    const tokenManager = new TokenManager();
    const events: string[] = [];
    const options = {
      profile: profile({ method: "oauth2", provider: "corp", refreshToken: "rt-ann-1" }),
      providers,
      tokenManager,
      mailboxKey: "mailbox-ann",
      saveRefreshToken: async (rotated: string) => {
        events.push(`saved ${rotated === "rt-ann-1" ? "the same" : "a new"} refresh token`);
      },
    };
    const accessToken = await mailboxAccessToken(options);
    events.push("got the access token");
    expect(accessToken.split(".")).toHaveLength(3);
    expect(mock.tokenRequests.map((r) => [r.body.grant_type, r.body.refresh_token])).toEqual([
      ["refresh_token", "rt-ann-1"],
    ]);
    expect(events).toEqual(["saved a new refresh token", "got the access token"]);

    expect(await mailboxAccessToken(options)).toBe(accessToken);
    expect(mock.count("refresh_token")).toBe(1);
  });

  it("refuses a password profile and a provider the config no longer has, without the secret", async () => {
    const common = {
      providers,
      tokenManager: new TokenManager(),
      mailboxKey: "m",
      saveRefreshToken: () => {},
    };
    const password = await expectMailregError(
      mailboxAccessToken({ ...common, profile: profile({ method: "password", password: "pw-9f2c" }) }),
      "VALIDATION",
    );
    expectNoSecret(password, "pw-9f2c");
    const gone = await expectMailregError(
      mailboxAccessToken({
        ...common,
        profile: profile({ method: "oauth2", provider: "google", refreshToken: "rt-0b7e" }),
      }),
      "CONFIG_INVALID",
    );
    expect(gone.details).toEqual({ provider: "google" });
    expectNoSecret(gone, "rt-0b7e");
    expect(mock.tokenRequests).toEqual([]);
  });

  it("says the owner must grant again when the provider answers invalid_grant", async () => {
    mock.server.service.once("beforeResponse", (response: { body: unknown; statusCode: number }) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant", error_description: "Token has been revoked." };
    });
    const error = await expectMailregError(
      mailboxAccessToken({
        profile: profile({ method: "oauth2", provider: "corp", refreshToken: "rt-revoked-41" }),
        providers,
        tokenManager: new TokenManager(),
        mailboxKey: "mailbox-revoked",
        saveRefreshToken: () => expect.fail("nothing to save"),
      }),
      "OAUTH_INVALID_GRANT",
    );
    expect(error.details?.error_description).toBe("Token has been revoked.");
    expectNoSecret(error, "rt-revoked-41");
  });
});
