import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LineClient } from "../test/line-client.ts";
import { type DovecotHandle, type DovecotInfo, startDovecot } from "./dovecot.ts";
import { type OAuthProviderHandle, startOAuthProvider } from "./oauth-provider.ts";

const { dovecot, oauth } = inject("mailservers");

async function tokenFor(form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(oauth.tokenEndpoint, { method: "POST", body: new URLSearchParams(form) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function claims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Logs in with imapflow (which picks OAUTHBEARER when offered) and reports the outcome. */
async function imapLogin(info: DovecotInfo, user: string, accessToken: string): Promise<"ok" | "refused"> {
  const client = new ImapFlow({
    host: info.host,
    port: info.imapPort,
    secure: false,
    tls: { ca: info.caPem, servername: info.servername },
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

/** AUTHENTICATE XOAUTH2 by hand over IMAPS; returns the tagged answer. */
async function xoauth2(info: DovecotInfo, user: string, accessToken: string): Promise<string> {
  const client = await LineClient.open(info.host, info.imapsPort, {
    ca: info.caPem,
    servername: info.servername,
  });
  try {
    await client.readUntil(/^\* OK/);
    const response = Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`).toString("base64");
    client.send(`a1 AUTHENTICATE XOAUTH2 ${response}`);
    const lines = await client.readUntil(/^(a1 |\+ )/);
    const last = lines.at(-1) ?? "";
    if (!last.startsWith("+ ")) return last;
    client.send(""); // XOAUTH2 error challenge: an empty line ends the exchange
    return (await client.readUntil(/^a1 /)).at(-1) ?? "";
  } finally {
    client.close();
  }
}

function tamperSignature(jwt: string): string {
  const [header, payload, signature = ""] = jwt.split(".");
  const at = Math.floor(signature.length / 2);
  const swapped = signature[at] === "A" ? "B" : "A";
  return `${header}.${payload}.${signature.slice(0, at)}${swapped}${signature.slice(at + 1)}`;
}

describe("OAuth logins to the shared Dovecot", () => {
  const user = `oauth-${process.pid}@example.test`;

  it("a token with the user's email claim logs in over IMAP (OAUTHBEARER, via imapflow)", async () => {
    const { access_token } = await tokenFor({ grant_type: "client_credentials", email: user, scope: "mail" });
    expect(claims(String(access_token))).toMatchObject({ email: user, iss: oauth.issuer });
    expect(await imapLogin(dovecot, user, String(access_token))).toBe("ok");
  });

  it("a token logs in with AUTHENTICATE XOAUTH2", async () => {
    const { access_token } = await tokenFor({ grant_type: "client_credentials", email: user });
    expect(await xoauth2(dovecot, user, String(access_token))).toMatch(/^a1 OK/);
  });

  it("refuses a token whose email names another user", async () => {
    const { access_token } = await tokenFor({
      grant_type: "client_credentials",
      email: "someone.else@example.test",
    });
    expect(await imapLogin(dovecot, user, String(access_token))).toBe("refused");
    expect(await xoauth2(dovecot, user, String(access_token))).toMatch(/^a1 NO/);
  });

  it("refuses a token with a broken signature", async () => {
    const { access_token } = await tokenFor({ grant_type: "client_credentials", email: user });
    expect(await imapLogin(dovecot, user, tamperSignature(String(access_token)))).toBe("refused");
  });

  it("puts the login_hint of the authorization request into the code's tokens, and keeps it on refresh", async () => {
    const authorize = new URL(oauth.authorizationEndpoint);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: "mailreg-test",
      redirect_uri: "http://127.0.0.1/callback",
      state: "s1",
      login_hint: user,
    }).toString();
    const redirect = await fetch(authorize, { redirect: "manual" });
    const code = new URL(redirect.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const tokens = await tokenFor({
      grant_type: "authorization_code",
      code,
      redirect_uri: "http://127.0.0.1/callback",
      client_id: "mailreg-test",
    });
    expect(claims(String(tokens.access_token)).email).toBe(user);
    expect(claims(String(tokens.id_token)).email).toBe(user);
    const refreshed = await tokenFor({
      grant_type: "refresh_token",
      refresh_token: String(tokens.refresh_token),
    });
    expect(claims(String(refreshed.access_token)).email).toBe(user);
    expect(await imapLogin(dovecot, user, String(refreshed.access_token))).toBe("ok");
  });
});

describe("a Dovecot trusting a provider of its own", () => {
  let provider: OAuthProviderHandle;
  let server: DovecotHandle;
  const user = "carol@example.test";

  beforeAll(async () => {
    provider = await startOAuthProvider();
    server = await startDovecot({
      oauth2: { issuer: provider.issuer, kid: provider.kid, publicKeyPem: provider.publicKeyPem },
    });
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), provider?.stop()]);
  });

  it("accepts a token signed with token() and refuses an expired one", async () => {
    expect(await imapLogin(server, user, await provider.token(user))).toBe("ok");
    expect(await imapLogin(server, user, await provider.token(user, { expiresIn: -120 }))).toBe("refused");
  });

  it("refuses tokens of the shared provider, whose key it does not know", async () => {
    const { access_token } = await tokenFor({ grant_type: "client_credentials", email: user });
    expect(await imapLogin(server, user, String(access_token))).toBe("refused");
  });
});
