// App-only (client-credentials) tokens at a Dovecot of its own: the provider names the app's tenant
// domain in a claim, and Dovecot's oauth2 passdb compares only domains (username_format = %Ld), so
// one app token opens every mailbox of that domain and none of another.
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DovecotHandle, startDovecot } from "./dovecot.ts";
import { APP_MAILBOXES_CLAIM, type OAuthProviderHandle, startOAuthProvider } from "./oauth-provider.ts";
import { jwksTokenVerifier } from "./xoauth2-verifier.ts";

const APP = { clientId: "contoso-mail-app", clientSecret: "contoso-app-secret" };
let provider: OAuthProviderHandle;
let server: DovecotHandle;

beforeAll(async () => {
  provider = await startOAuthProvider({
    apps: { [APP.clientId]: { clientSecret: APP.clientSecret, domain: "contoso.test" } },
  });
  server = await startDovecot({
    oauth2: {
      issuer: provider.issuer,
      kid: provider.kid,
      publicKeyPem: provider.publicKeyPem,
      username: { attribute: APP_MAILBOXES_CLAIM, format: "%Ld" },
    },
  });
});
afterAll(async () => {
  await Promise.all([server?.stop(), provider?.stop()]);
});

/** A client-credentials request as the app makes it (client_secret_post). */
async function requestAppToken(clientSecret: string): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: APP.clientId,
    client_secret: clientSecret,
  });
  return await fetch(provider.tokenEndpoint, { method: "POST", body });
}

async function appToken(): Promise<string> {
  const response = await requestAppToken(APP.clientSecret);
  expect(response.status).toBe(200);
  return String(((await response.json()) as { access_token: unknown }).access_token);
}

/** Logs in with imapflow (XOAUTH2 or OAUTHBEARER as offered) and reports the outcome. */
async function imapLogin(user: string, accessToken: string): Promise<"ok" | "refused"> {
  const client = new ImapFlow({
    host: server.host,
    port: server.imapPort,
    secure: false,
    tls: { ca: server.caPem, servername: server.servername },
    auth: { user, accessToken },
    logger: false,
  });
  try {
    await client.connect();
    await client.logout();
    return "ok";
  } catch (error) {
    if ((error as { authenticationFailed?: boolean }).authenticationFailed) return "refused";
    throw error;
  }
}

describe("app-only tokens at Dovecot", () => {
  it("one app token logs in as any user of the tenant's domain, in any case", async () => {
    const token = await appToken();
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    expect(payload[APP_MAILBOXES_CLAIM]).toBe("*@contoso.test");
    expect(await imapLogin("ann@contoso.test", token)).toBe("ok");
    expect(await imapLogin("bob@Contoso.TEST", token)).toBe("ok");
  });

  it("refuses the app token for another domain, and a user's own email token", async () => {
    expect(await imapLogin("eve@fabrikam.test", await appToken())).toBe("refused");
    expect(await imapLogin("ann@contoso.test", await provider.token("ann@contoso.test"))).toBe("refused");
  });

  it("refuses a client-credentials request with a wrong secret as invalid_client", async () => {
    const response = await requestAppToken("revoked-secret");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
  });

  it("the sink's verifier compares domains the same way when told to", async () => {
    const verify = jwksTokenVerifier({
      issuer: provider.issuer,
      jwksUri: provider.jwksUri,
      usernameClaim: APP_MAILBOXES_CLAIM,
      compare: "domain",
    });
    const token = await appToken();
    expect(await verify("ann@contoso.test", token)).toBe(true);
    expect(await verify("eve@fabrikam.test", token)).toBe(false);
    expect(await verify("ann@contoso.test", await provider.token("ann@contoso.test"))).toBe(false);
  });
});
