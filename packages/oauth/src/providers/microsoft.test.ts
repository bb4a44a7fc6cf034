// The Microsoft provider's URLs and requests, checked against the shapes in the Microsoft identity
// platform documentation ("OAuth 2.0 authorization code flow", "Authenticate an IMAP, POP or SMTP
// connection using OAuth"); Microsoft's real endpoints are out of reach here.

import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { recordingFetch } from "../../test/recording-fetch.ts";
import { makeSigner, type Signer } from "../../test/signer.ts";
import { createS256CodeChallenge, generateCodeVerifier } from "../pkce.ts";
import { MICROSOFT_APP_ONLY_SCOPES, MICROSOFT_MAIL_SCOPES, microsoft } from "./microsoft.ts";

const settings = {
  kind: "microsoft",
  clientId: "535fb089-9ff3-47b6-9bfb-4f1264799865",
  clientSecret: "ms-client-secret",
  redirectUri: "http://localhost/myapp/",
};
const MAIL_SCOPE =
  "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All " +
  "https://outlook.office.com/SMTP.Send offline_access openid email";
const CONTOSO = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const FABRIKAM = "3c4b1e2a-0d9f-4e8b-a7c6-5b4a3f2e1d0c";
const CONSUMERS = "9188040d-6c67-4c5b-b112-36a304b66dad";

// Microsoft's documented token response
const tokenAnswer = () =>
  Response.json({
    access_token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik5HVEZ2ZEstZnl0aEV1Q",
    token_type: "Bearer",
    expires_in: 3599,
    scope: "https://outlook.office.com/IMAP.AccessAsUser.All",
    refresh_token: "AwABAAAAvPM1KaPlrEqdFSBzjqfTGAMxZGUTdM0t4B4",
    id_token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImtyaU1QZG1Cd",
  });

describe("microsoft provider", () => {
  it("builds the documented v2.0 authorization URL of the common tenant with the mail scopes", async () => {
    const codeVerifier = generateCodeVerifier();
    const url = await microsoft(settings).createAuthorizationURL({
      state: "12345",
      codeVerifier,
      nonce: "678910",
      loginHint: "ann@contoso.com",
    });
    expect(`${url.origin}${url.pathname}`).toBe(
      "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: settings.clientId,
      response_type: "code",
      redirect_uri: "http://localhost/myapp/",
      response_mode: "query",
      scope: MAIL_SCOPE,
      state: "12345",
      nonce: "678910",
      code_challenge: await createS256CodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      login_hint: "ann@contoso.com",
    });
    expect(MICROSOFT_MAIL_SCOPES.join(" ")).toBe(MAIL_SCOPE);
  });

  it("puts the configured tenant into every endpoint", async () => {
    for (const tenant of ["organizations", "consumers", CONTOSO, "contoso.onmicrosoft.com"]) {
      const url = await microsoft({ ...settings, tenant }).createAuthorizationURL({
        state: "s",
        codeVerifier: generateCodeVerifier(),
        nonce: "n",
      });
      expect(url.pathname).toBe(`/${tenant}/oauth2/v2.0/authorize`);
    }
  });

  it("refuses a tenant that is not a name or an id", () => {
    for (const tenant of ["../common", "a/b", "", "common?x=1"]) {
      expect(() => microsoft({ ...settings, tenant })).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", details: { kind: "microsoft", field: "tenant" } }),
      );
    }
  });

  it("exchanges the code and refreshes (with the scopes again) with the documented form POSTs", async () => {
    const recorder = recordingFetch(tokenAnswer(), tokenAnswer());
    const p = microsoft({ ...settings, tenant: CONTOSO }, { fetch: recorder.fetch });
    const tokens = await p.validateAuthorizationCode("OAAABAAAAiL9Kn2Z27Uu", "v".repeat(43));
    expect(tokens).toMatchObject({
      expiresIn: 3599,
      refreshToken: "AwABAAAAvPM1KaPlrEqdFSBzjqfTGAMxZGUTdM0t4B4",
    });
    await p.refreshAccessToken("AwABAAAAvPM1KaPlrEqdFSBzjqfTGAMxZGUTdM0t4B4");

    const [exchange, refresh] = recorder.requests;
    const tokenEndpoint = `https://login.microsoftonline.com/${CONTOSO}/oauth2/v2.0/token`;
    expect([exchange?.url, refresh?.url]).toEqual([tokenEndpoint, tokenEndpoint]);
    expect(exchange?.form).toEqual({
      grant_type: "authorization_code",
      code: "OAAABAAAAiL9Kn2Z27Uu",
      redirect_uri: "http://localhost/myapp/",
      code_verifier: "v".repeat(43),
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    });
    expect(refresh?.form).toEqual({
      grant_type: "refresh_token",
      refresh_token: "AwABAAAAvPM1KaPlrEqdFSBzjqfTGAMxZGUTdM0t4B4",
      scope: MAIL_SCOPE,
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    });
  });

  describe("app-only access (client credentials)", () => {
    // "OAuth 2.0 client credentials flow" and "Authenticate an IMAP, POP or SMTP connection using
    // OAuth" (service principals): the tenant's token endpoint, the .default scope of Exchange Online
    const appAnswer = () =>
      Response.json({
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP",
      });

    it("asks the tenant's token endpoint with the documented form POST and the .default scope", async () => {
      const recorder = recordingFetch(appAnswer());
      const p = microsoft({ ...settings, tenant: CONTOSO }, { fetch: recorder.fetch });
      const tokens = await p.requestClientCredentials!();
      expect(tokens).toEqual({
        tokenType: "Bearer",
        accessToken: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP",
        expiresIn: 3599,
      });
      const [sent] = recorder.requests;
      expect(sent?.method).toBe("POST");
      expect(sent?.url).toBe(`https://login.microsoftonline.com/${CONTOSO}/oauth2/v2.0/token`);
      expect(sent?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
      expect(sent?.form).toEqual({
        grant_type: "client_credentials",
        scope: "https://outlook.office365.com/.default",
        client_id: settings.clientId,
        client_secret: settings.clientSecret,
      });
      expect(MICROSOFT_APP_ONLY_SCOPES).toEqual(["https://outlook.office365.com/.default"]);
    });

    it("sends the scopes it is given, on a tenant named by its domain", async () => {
      const recorder = recordingFetch(appAnswer());
      const p = microsoft({ ...settings, tenant: "contoso.onmicrosoft.com" }, { fetch: recorder.fetch });
      await p.requestClientCredentials!(["https://outlook.office365.com/.default", "extra"]);
      expect(recorder.requests[0]?.url).toBe(
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
      );
      expect(recorder.requests[0]?.form.scope).toBe("https://outlook.office365.com/.default extra");
    });

    it("refuses common, organizations and consumers without sending anything: app-only needs one tenant", async () => {
      for (const tenant of [undefined, "organizations", "consumers"]) {
        const recorder = recordingFetch(appAnswer());
        const p = microsoft({ ...settings, tenant }, { fetch: recorder.fetch });
        const error = await expectMailregError(p.requestClientCredentials!(), "CONFIG_INVALID");
        expect(error.details).toEqual({ kind: "microsoft", field: "tenant" });
        expect(recorder.requests).toHaveLength(0);
      }
    });

    it("refuses an app without a client secret without sending anything", async () => {
      const recorder = recordingFetch(appAnswer());
      const { clientSecret: _, ...publicClient } = settings;
      const p = microsoft({ ...publicClient, tenant: CONTOSO }, { fetch: recorder.fetch });
      const error = await expectMailregError(p.requestClientCredentials!(), "CONFIG_INVALID");
      expect(error.details).toEqual({ field: "clientSecret" });
      expect(recorder.requests).toHaveLength(0);
    });

    it("turns invalid_client and unauthorized_client into OAUTH_INVALID_CLIENT for the admin, without the secret", async () => {
      const answers = [
        // Microsoft's documented error answer for a wrong or expired client secret
        {
          status: 401,
          body: {
            error: "invalid_client",
            error_description: "AADSTS7000215: Invalid client secret provided.",
            error_codes: [7000215],
          },
        },
        {
          status: 400,
          body: {
            error: "unauthorized_client",
            error_description: "AADSTS700016: Application not found in the directory.",
            error_codes: [700016],
          },
        },
      ];
      for (const { status, body } of answers) {
        const p = microsoft(
          { ...settings, tenant: CONTOSO },
          { fetch: recordingFetch(Response.json(body, { status })).fetch },
        );
        const error = await expectMailregError(p.requestClientCredentials!(), "OAUTH_INVALID_CLIENT");
        expect(error.message).toContain(`(${body.error})`);
        expect(error.message).toContain("administrator");
        expect(error.details).toEqual({
          status,
          error: body.error,
          error_description: body.error_description,
        });
        expectNoSecret(error, settings.clientSecret);
      }
    });

    it("leaves other refusals as OAUTH_REQUEST", async () => {
      const answer = Response.json(
        {
          error: "invalid_scope",
          error_description: "AADSTS70011: The provided value for scope is not valid.",
        },
        { status: 400 },
      );
      const p = microsoft({ ...settings, tenant: CONTOSO }, { fetch: recordingFetch(answer).fetch });
      const error = await expectMailregError(p.requestClientCredentials!(["bad"]), "OAUTH_REQUEST");
      expect(error.details?.error).toBe("invalid_scope");
    });
  });

  it("offers no token revocation (Microsoft has no RFC 7009 endpoint)", () => {
    expect(microsoft(settings).revokeToken).toBeUndefined();
  });

  describe("ID token issuer", () => {
    const claims = (tid: string, issTenant = tid) => ({
      iss: `https://login.microsoftonline.com/${issTenant}/v2.0`,
      aud: settings.clientId,
      sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
      tid,
      email: "ann@contoso.com",
      nonce: "n1",
    });
    const verify = async (tenant: string | undefined, token: (sign: Signer["sign"]) => Promise<string>) => {
      const signer = await makeSigner();
      const recorder = recordingFetch(Response.json(signer.jwks));
      const p = microsoft({ ...settings, tenant }, { fetch: recorder.fetch });
      const result = p.verifyIdToken(await token(signer.sign), { nonce: "n1" });
      return { result, recorder };
    };

    it("accepts any tenant's token on common, with the issuer naming the token's own tenant", async () => {
      const { result, recorder } = await verify(undefined, (sign) => sign(claims(CONTOSO)));
      expect(await result).toMatchObject({ tenantId: CONTOSO, email: "ann@contoso.com" });
      expect(recorder.requests[0]?.url).toBe("https://login.microsoftonline.com/common/discovery/v2.0/keys");
    });

    it("refuses on common a token whose issuer names another tenant than its tid", async () => {
      const { result } = await verify(undefined, (sign) => sign(claims(CONTOSO, FABRIKAM)));
      expect((await expectMailregError(result, "OAUTH_ID_TOKEN_INVALID")).details).toEqual({
        reason: "claim",
        claim: "iss",
      });
    });

    it("refuses a personal account's token on organizations", async () => {
      const { result } = await verify("organizations", (sign) => sign(claims(CONSUMERS)));
      expect((await expectMailregError(result, "OAUTH_ID_TOKEN_INVALID")).details).toEqual({
        reason: "claim",
        claim: "tid",
      });
    });

    it("accepts only the pinned tenant when the config names a tenant id", async () => {
      const own = await verify(CONTOSO, (sign) => sign(claims(CONTOSO)));
      expect(await own.result).toMatchObject({ tenantId: CONTOSO });
      const other = await verify(CONTOSO, (sign) => sign(claims(FABRIKAM)));
      await expectMailregError(other.result, "OAUTH_ID_TOKEN_INVALID");
    });

    it("accepts only personal accounts on consumers", async () => {
      expect(await (await verify("consumers", (sign) => sign(claims(CONSUMERS)))).result).toMatchObject({
        tenantId: CONSUMERS,
      });
      await expectMailregError(
        (await verify("consumers", (sign) => sign(claims(CONTOSO)))).result,
        "OAUTH_ID_TOKEN_INVALID",
      );
    });
  });
});
