// Deno smoke tests: PKCE, SASL strings, and the whole code flow with refresh against
// oauth2-mock-server, which runs under Deno's Node compatibility.
import assert from "node:assert/strict";
import { MailregError } from "@mailreg/core";
import { startMockIssuer } from "../test/mock-issuer.ts";
import {
  createS256CodeChallenge,
  generateCodeVerifier,
  generateNonce,
  generateState,
  mailboxAccessToken,
  oidc,
  readAuthorizationCode,
  TokenManager,
  xoauth2String,
} from "./mod.ts";

Deno.test("PKCE S256 and XOAUTH2 give the published examples under Deno", async () => {
  assert.equal(
    await createS256CodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
  assert.match(generateCodeVerifier(), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(
    xoauth2String("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
  );
});

Deno.test("the code flow, ID token and one shared refresh run against oauth2-mock-server under Deno", async () => {
  const mock = await startMockIssuer();
  try {
    const provider = oidc({
      kind: "oidc",
      issuer: mock.issuer,
      clientId: "mailreg-deno",
      clientSecret: "secret",
      redirectUri: "http://127.0.0.1:9/oauth/callback",
    });
    const state = generateState();
    const codeVerifier = generateCodeVerifier();
    const nonce = generateNonce();
    const url = await provider.createAuthorizationURL({
      state,
      codeVerifier,
      nonce,
      loginHint: "ann@example.org",
    });
    const code = readAuthorizationCode(await mock.authorize(url), state);
    const tokens = await provider.validateAuthorizationCode(code, codeVerifier);
    const identity = await provider.verifyIdToken(tokens.idToken!, { nonce });
    assert.equal(identity.email, "ann@example.org");
    await assert.rejects(
      provider.verifyIdToken(tokens.idToken!, { nonce: generateNonce() }),
      (e) => e instanceof MailregError && e.code === "OAUTH_ID_TOKEN_INVALID",
    );

    const saved: string[] = [];
    const manager = new TokenManager();
    const options = {
      refreshToken: tokens.refreshToken!,
      provider,
      saveRefreshToken: (t: string) => void saved.push(t),
    };
    const [a, b] = await Promise.all([
      manager.getAccessToken("mb", options),
      manager.getAccessToken("mb", options),
    ]);
    assert.equal(a, b);
    assert.equal(mock.count("refresh_token"), 1);
    assert.equal(saved.length, 1);

    // the worker's way: the opened profile names the provider
    const accessToken = await mailboxAccessToken({
      profile: {
        v: 1,
        address: "ann@example.org",
        protocol: "imap",
        host: "imap.example.org",
        port: 993,
        security: "tls",
        login: "ann@example.org",
        auth: { method: "oauth2", provider: "corp", refreshToken: saved[0]! },
      },
      providers: new Map([["corp", provider]]),
      tokenManager: manager,
      mailboxKey: "mb-2",
      saveRefreshToken: (t: string) => void saved.push(t),
    });
    assert.equal(accessToken.split(".").length, 3);
    assert.equal(saved.length, 2);
  } finally {
    await mock.stop();
  }
});
