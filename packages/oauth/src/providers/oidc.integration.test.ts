// The generic OIDC provider against a real OpenID provider (oauth2-mock-server): the whole
// authorization-code flow with PKCE, ID token checks, refresh, rotation, revocation and errors.
import { isMailregError } from "@mailreg/core";
import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockIssuer, startMockIssuer } from "../../test/mock-issuer.ts";
import { readAuthorizationCode } from "../callback.ts";
import { generateCodeVerifier, generateNonce, generateState } from "../pkce.ts";
import type { OAuthProvider, OAuthProviderSettings } from "../provider.ts";
import { oidc } from "./oidc.ts";

const SECRET = "client-secret-7c1e";
const OWNER = "ann@example.org";

let mock: MockIssuer;
let settings: OAuthProviderSettings;
let provider: OAuthProvider;

beforeAll(async () => {
  mock = await startMockIssuer();
  settings = {
    kind: "oidc",
    issuer: mock.issuer,
    clientId: "mailreg-test",
    clientSecret: SECRET,
    // a path and a query, to see the URI travel unchanged
    redirectUri: "http://127.0.0.1:9/oauth/callback?provider=test",
  };
  provider = oidc(settings);
});
afterAll(() => mock.stop());

/** One sign-in up to the code exchange, as the registration page will do it. */
async function signIn(p: OAuthProvider = provider) {
  const state = generateState();
  const codeVerifier = generateCodeVerifier();
  const nonce = generateNonce();
  const url = await p.createAuthorizationURL({ state, codeVerifier, nonce, loginHint: OWNER });
  const callback = await mock.authorize(url);
  const code = readAuthorizationCode(callback, state);
  return { url, callback, code, codeVerifier, nonce, state };
}

describe("oidc provider against oauth2-mock-server", () => {
  it("runs the authorization-code flow with PKCE and yields the owner's verified address", async () => {
    const { url, callback, code, codeVerifier, nonce } = await signIn();
    expect(`${url.origin}${url.pathname}`).toBe(`${mock.issuer}/authorize`);
    expect(url.searchParams.get("redirect_uri")).toBe(settings.redirectUri);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("scope")).toBe("openid email offline_access");
    expect(callback.href.startsWith(`${settings.redirectUri}&code=`)).toBe(true);

    const tokens = await provider.validateAuthorizationCode(code, codeVerifier);
    expect(tokens.tokenType).toBe("Bearer");
    expect(tokens.expiresIn).toBe(3600);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const sent = mock.tokenRequests.at(-1)?.body;
    expect(sent).toMatchObject({
      grant_type: "authorization_code",
      code,
      code_verifier: codeVerifier,
      redirect_uri: settings.redirectUri,
      client_id: "mailreg-test",
    });

    const identity = await provider.verifyIdToken(tokens.idToken!, { nonce });
    expect(identity).toMatchObject({
      email: OWNER,
      emailVerified: true,
      sub: "johndoe",
      issuer: mock.issuer,
    });
  });

  it("refuses a code exchanged with another PKCE verifier", async () => {
    const { code } = await signIn();
    const error = await expectMailregError(
      provider.validateAuthorizationCode(code, generateCodeVerifier()),
      "OAUTH_REQUEST",
    );
    expect(error.details).toMatchObject({ status: 400, error: "invalid_request" });
    expect(String(error.details?.error_description)).toContain("code_verifier");
  });

  it("refuses a replayed authorization code", async () => {
    const { code, codeVerifier } = await signIn();
    await provider.validateAuthorizationCode(code, codeVerifier);
    await expectMailregError(provider.validateAuthorizationCode(code, codeVerifier), "OAUTH_REQUEST");
  });

  it("refuses a callback whose state was tampered with", async () => {
    const { callback, state } = await signIn();
    const tampered = new URL(callback);
    tampered.searchParams.set("state", generateState());
    expect(() => readAuthorizationCode(tampered, state)).toThrow(
      expect.objectContaining({ code: "OAUTH_STATE_MISMATCH" }),
    );
  });

  describe("ID token", () => {
    it("refuses one with another nonce", async () => {
      const { code, codeVerifier } = await signIn();
      const tokens = await provider.validateAuthorizationCode(code, codeVerifier);
      const error = await expectMailregError(
        provider.verifyIdToken(tokens.idToken!, { nonce: generateNonce() }),
        "OAUTH_ID_TOKEN_INVALID",
      );
      expect(error.details).toEqual({ reason: "claim", claim: "nonce" });
    });

    it("refuses one issued to another client", async () => {
      const { code, codeVerifier, nonce } = await signIn();
      const tokens = await provider.validateAuthorizationCode(code, codeVerifier);
      const other = oidc({ ...settings, clientId: "another-app" });
      const error = await expectMailregError(
        other.verifyIdToken(tokens.idToken!, { nonce }),
        "OAUTH_ID_TOKEN_INVALID",
      );
      expect(error.details).toEqual({ reason: "claim", claim: "aud" });
    });

    it("refuses one whose payload was altered", async () => {
      const { code, codeVerifier, nonce } = await signIn();
      const tokens = await provider.validateAuthorizationCode(code, codeVerifier);
      const [header, payload, signature] = tokens.idToken!.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
      claims.email = "mallory@example.org";
      const forged = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
      const error = await expectMailregError(
        provider.verifyIdToken(forged, { nonce }),
        "OAUTH_ID_TOKEN_INVALID",
      );
      expect(error.details).toEqual({ reason: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
    });

    it("refuses one that has expired", async () => {
      const state = generateState();
      const codeVerifier = generateCodeVerifier();
      const nonce = generateNonce();
      const callback = await mock.authorize(
        await provider.createAuthorizationURL({ state, codeVerifier, nonce }),
      );
      const expire = (token: { payload: Record<string, unknown> }) => {
        token.payload.iat = Math.floor(Date.now() / 1000) - 7200;
        token.payload.exp = Math.floor(Date.now() / 1000) - 3600;
      };
      mock.server.service.on("beforeTokenSigning", expire);
      try {
        const tokens = await provider.validateAuthorizationCode(
          readAuthorizationCode(callback, state),
          codeVerifier,
        );
        const error = await expectMailregError(
          provider.verifyIdToken(tokens.idToken!, { nonce }),
          "OAUTH_ID_TOKEN_INVALID",
        );
        expect(error.details).toEqual({ reason: "claim", claim: "exp" });
      } finally {
        mock.server.service.off("beforeTokenSigning", expire);
      }
    });

    it("refuses one signed by another issuer", async () => {
      const stranger = await startMockIssuer();
      try {
        const foreign = oidc({ ...settings, issuer: stranger.issuer });
        const { code, codeVerifier, nonce } = await (async () => {
          const state = generateState();
          const codeVerifier = generateCodeVerifier();
          const nonce = generateNonce();
          const callback = await stranger.authorize(
            await foreign.createAuthorizationURL({ state, codeVerifier, nonce }),
          );
          return { code: readAuthorizationCode(callback, state), codeVerifier, nonce };
        })();
        const tokens = await foreign.validateAuthorizationCode(code, codeVerifier);
        await expectMailregError(
          provider.verifyIdToken(tokens.idToken!, { nonce }),
          "OAUTH_ID_TOKEN_INVALID",
        );
      } finally {
        await stranger.stop();
      }
    });
  });

  it("refreshes the access token and hands over the rotated refresh token", async () => {
    const { code, codeVerifier } = await signIn();
    const first = await provider.validateAuthorizationCode(code, codeVerifier);
    const refreshed = await provider.refreshAccessToken(first.refreshToken!);
    expect(mock.tokenRequests.at(-1)?.body).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: first.refreshToken,
      client_id: "mailreg-test",
      client_secret: SECRET,
    });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
  });

  it("turns invalid_grant into OAUTH_INVALID_GRANT without the refresh token in the error", async () => {
    const refreshToken = "rt-3f1d7a0c-revoked";
    mock.server.service.once("beforeResponse", (response: { body: unknown; statusCode: number }) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant", error_description: "Token has been expired or revoked." };
    });
    const error = await expectMailregError(provider.refreshAccessToken(refreshToken), "OAUTH_INVALID_GRANT");
    expect(error.message).toContain("grant permission again");
    expect(error.details).toEqual({
      status: 400,
      error: "invalid_grant",
      error_description: "Token has been expired or revoked.",
    });
    expectNoSecret(error, refreshToken, SECRET);
  });

  it("revokes a token at the issuer's revocation endpoint, and reports a refusal", async () => {
    let hits = 0;
    mock.server.service.once("beforeRevoke", () => {
      hits += 1;
    });
    await provider.revokeToken!("rt-to-revoke");
    expect(hits).toBe(1);
    mock.server.service.once("beforeRevoke", (response: { statusCode: number }) => {
      response.statusCode = 503;
    });
    const error = await expectMailregError(
      provider.revokeToken!("rt-to-revoke"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(error.details?.status).toBe(503);
  });

  it("authenticates with client_secret_basic where the issuer lists only that", async () => {
    // the issuer's discovery document, as a server that lists client_secret_basic would send it
    const basicOnly: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!_url(input).endsWith("/.well-known/openid-configuration")) return response;
      const doc = await response.json();
      return Response.json({ ...doc, token_endpoint_auth_methods_supported: ["client_secret_basic"] });
    };
    const basic = oidc(settings, { fetch: basicOnly });
    const { code, codeVerifier, nonce } = await signIn(basic);
    const tokens = await basic.validateAuthorizationCode(code, codeVerifier);
    const sent = mock.tokenRequests.at(-1)!;
    expect(sent.authorization).toBe(`Basic ${Buffer.from(`mailreg-test:${SECRET}`).toString("base64")}`);
    expect(sent.body.client_secret).toBeUndefined();
    // the mock takes the ID token's audience from the Basic credentials
    expect((await basic.verifyIdToken(tokens.idToken!, { nonce })).email).toBe(OWNER);
  });

  it("refuses a discovery document that names another issuer", async () => {
    // the configured issuer has a path; its discovery document is the mock's, which names the mock
    const elsewhere: typeof fetch = (input, init) =>
      fetch(_url(input).replace("/tenant-b/.well-known", "/.well-known"), init);
    const p = oidc({ ...settings, issuer: `${mock.issuer}/tenant-b` }, { fetch: elsewhere });
    const error = await expectMailregError(
      p.createAuthorizationURL({ state: "s", codeVerifier: generateCodeVerifier(), nonce: "n" }),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(error.details?.reason).toBe("it names another issuer");
  });

  it("reports an issuer that cannot be reached, and tries discovery again next time", async () => {
    const down = await startMockIssuer();
    const url = down.issuer;
    await down.stop();
    const p = oidc({ ...settings, issuer: url });
    const error = await expectMailregError(
      p.createAuthorizationURL({ state: "s", codeVerifier: generateCodeVerifier(), nonce: "n" }),
      "OAUTH_UNREACHABLE",
    );
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.details).toEqual({ endpoint: `${url}/.well-known/openid-configuration` });
    const again = await p
      .createAuthorizationURL({ state: "s", codeVerifier: generateCodeVerifier(), nonce: "n" })
      .catch((e: unknown) => e);
    expect(isMailregError(again, "OAUTH_UNREACHABLE")).toBe(true);
    expect(again).not.toBe(error); // a new attempt, not the first failure kept
  });
});

function _url(input: RequestInfo | URL): string {
  return input instanceof Request ? input.url : String(input);
}
