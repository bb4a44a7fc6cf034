// The Google provider's URLs and requests, checked against the shapes in Google's documentation
// ("Using OAuth 2.0 for Web Server Applications"); Google's real endpoints are out of reach here.

import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { recordingFetch } from "../../test/recording-fetch.ts";
import { makeSigner } from "../../test/signer.ts";
import { createS256CodeChallenge, generateCodeVerifier } from "../pkce.ts";
import { GOOGLE_MAIL_SCOPES, google } from "./google.ts";

const settings = {
  kind: "google",
  clientId: "1234-abc.apps.googleusercontent.com",
  clientSecret: "GOCSPX-secret",
  redirectUri: "https://reg.example.org/oauth/google/callback",
};

// Google's documented token response (access_token, expires_in, token_type, scope, refresh_token)
const tokenAnswer = () =>
  Response.json({
    access_token: "1/fFAGRNJru1FTz70BzhT3Zg",
    expires_in: 3920,
    token_type: "Bearer",
    scope: "https://mail.google.com/ openid https://www.googleapis.com/auth/userinfo.email",
    refresh_token: "1//xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI",
    id_token: "eyJ.header.sig",
  });

describe("google provider", () => {
  it("builds the authorization URL Google documents, with offline access and mail scope", async () => {
    const codeVerifier = generateCodeVerifier();
    const url = await google(settings).createAuthorizationURL({
      state: "state-1",
      codeVerifier,
      nonce: "nonce-1",
      loginHint: "ann@gmail.com",
    });
    expect(`${url.origin}${url.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: settings.clientId,
      redirect_uri: settings.redirectUri,
      scope: "https://mail.google.com/ openid email",
      state: "state-1",
      nonce: "nonce-1",
      code_challenge: await createS256CodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      login_hint: "ann@gmail.com",
      access_type: "offline",
      prompt: "consent",
    });
    expect(GOOGLE_MAIL_SCOPES).toContain("https://mail.google.com/");
  });

  it("asks for the configured scopes, or the ones given for one request", async () => {
    const p = google({ ...settings, scopes: ["https://mail.google.com/", "openid"] });
    const base = { state: "s", codeVerifier: generateCodeVerifier(), nonce: "n" };
    expect((await p.createAuthorizationURL(base)).searchParams.get("scope")).toBe(
      "https://mail.google.com/ openid",
    );
    const once = await p.createAuthorizationURL({ ...base, scopes: ["openid", "email"] });
    expect(once.searchParams.get("scope")).toBe("openid email");
  });

  it("exchanges the code with the documented form POST to oauth2.googleapis.com", async () => {
    const recorder = recordingFetch(tokenAnswer());
    const tokens = await google(settings, { fetch: recorder.fetch }).validateAuthorizationCode(
      "4/P7q7W91",
      "v".repeat(43),
    );
    const [request] = recorder.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("https://oauth2.googleapis.com/token");
    expect(request?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(request?.form).toEqual({
      grant_type: "authorization_code",
      code: "4/P7q7W91",
      redirect_uri: settings.redirectUri,
      code_verifier: "v".repeat(43),
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    });
    expect(tokens).toEqual({
      tokenType: "Bearer",
      accessToken: "1/fFAGRNJru1FTz70BzhT3Zg",
      expiresIn: 3920,
      refreshToken: "1//xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI",
      idToken: "eyJ.header.sig",
      scopes: ["https://mail.google.com/", "openid", "https://www.googleapis.com/auth/userinfo.email"],
    });
  });

  it("refreshes with the documented form (no scope), and keeps the refresh token when none is returned", async () => {
    const recorder = recordingFetch(
      Response.json({
        access_token: "1/new",
        expires_in: 3599,
        token_type: "Bearer",
        scope: "https://mail.google.com/",
      }),
    );
    const tokens = await google(settings, { fetch: recorder.fetch }).refreshAccessToken("1//refresh");
    expect(recorder.requests[0]?.url).toBe("https://oauth2.googleapis.com/token");
    expect(recorder.requests[0]?.form).toEqual({
      grant_type: "refresh_token",
      refresh_token: "1//refresh",
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    });
    expect(tokens.refreshToken).toBeUndefined();
    expect(tokens.accessToken).toBe("1/new");
  });

  it("offers no app-only access: Google has no client-credentials access to Gmail's IMAP or SMTP", () => {
    expect(google(settings).requestClientCredentials).toBeUndefined();
  });

  it("revokes at oauth2.googleapis.com/revoke", async () => {
    const recorder = recordingFetch(new Response(null, { status: 200 }));
    await google(settings, { fetch: recorder.fetch }).revokeToken!("1//refresh");
    expect(recorder.requests[0]?.url).toBe("https://oauth2.googleapis.com/revoke");
    expect(recorder.requests[0]?.form.token).toBe("1//refresh");
  });

  it("reports Google's invalid_grant as 'grant again', without the secret or the token", async () => {
    const recorder = recordingFetch(
      Response.json(
        { error: "invalid_grant", error_description: "Token has been expired or revoked." },
        { status: 400 },
      ),
    );
    const error = await expectMailregError(
      google(settings, { fetch: recorder.fetch }).refreshAccessToken("1//revoked"),
      "OAUTH_INVALID_GRANT",
    );
    expectNoSecret(error, "1//revoked", settings.clientSecret);
  });

  it("verifies ID tokens from Google's keys with either spelling of its issuer", async () => {
    const signer = await makeSigner();
    const claims = {
      aud: settings.clientId,
      sub: "1100",
      email: "ann@gmail.com",
      email_verified: true,
      nonce: "n1",
    };
    for (const iss of ["https://accounts.google.com", "accounts.google.com"]) {
      const recorder = recordingFetch(Response.json(signer.jwks));
      const identity = await google(settings, { fetch: recorder.fetch }).verifyIdToken(
        await signer.sign({ ...claims, iss }),
        { nonce: "n1" },
      );
      expect(recorder.requests[0]?.url).toBe("https://www.googleapis.com/oauth2/v3/certs");
      expect(identity).toMatchObject({
        sub: "1100",
        email: "ann@gmail.com",
        emailVerified: true,
        issuer: iss,
      });
    }
    const recorder = recordingFetch(Response.json(signer.jwks));
    const foreign = await signer.sign({ ...claims, iss: "https://evil.example" });
    await expectMailregError(
      google(settings, { fetch: recorder.fetch }).verifyIdToken(foreign, { nonce: "n1" }),
      "OAUTH_ID_TOKEN_INVALID",
    );
  });
});
