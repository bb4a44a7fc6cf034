/**
 * An OAuth 2.0 / OpenID provider for tests (oauth2-mock-server) whose RS256 access tokens carry an
 * `email` claim, so Dovecot's oauth2 passdb (`username_attribute = email`) logs the token in as that
 * user; app-only (client-credentials) tokens of registered apps name their tenant's whole domain.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { MailregError } from "@mailreg/core";
import { OAuth2Server, type TokenRequest } from "oauth2-mock-server";

/**
 * The claim of an app-only token that names the mailboxes it opens: `*@<domain>`, every mailbox of
 * the app's tenant. Dovecot with `username: { attribute: APP_MAILBOXES_CLAIM, format: "%Ld" }` and
 * `jwksTokenVerifier({ usernameClaim: APP_MAILBOXES_CLAIM, compare: "domain" })` accept it.
 */
export const APP_MAILBOXES_CLAIM = "app_mailboxes";

/** An app allowed the client-credentials grant, as a tenant's administrator registers one. */
export interface ClientCredentialsApp {
  /** The secret it must present; any other is refused with `invalid_client`. */
  clientSecret: string;
  /** The tenant's mail domain: its tokens open every mailbox of it. */
  domain: string;
}

/** Options of {@link startOAuthProvider}. */
export interface OAuthProviderOptions {
  /** The `email` of tokens whose request names none (see {@link startOAuthProvider}). */
  defaultEmail?: string;
  /**
   * Apps by client id that may use the client-credentials grant (app-only access). When given, a
   * client-credentials request of another client or with a wrong secret is refused (401
   * `invalid_client`), and the tokens of an app carry {@link APP_MAILBOXES_CLAIM} for its domain.
   */
  apps?: Readonly<Record<string, ClientCredentialsApp>>;
}

/** A running provider. */
export interface OAuthProviderHandle {
  /** The issuer URL (`iss` of its tokens), e.g. `http://127.0.0.1:41234`. */
  issuer: string;
  tokenEndpoint: string;
  authorizationEndpoint: string;
  jwksUri: string;
  /** The signing key's id (`kid` in token headers). */
  kid: string;
  /** The signing key's public part as SPKI PEM (what Dovecot's local validation reads). */
  publicKeyPem: string;
  /** The underlying oauth2-mock-server, for hooks of your own. */
  server: OAuth2Server;
  /**
   * Signs an access token for `email` directly, without an HTTP round trip.
   * @param email the `email` (and `sub`) claim
   * @param options lifetime in seconds (default 3600; negative gives an expired token) and scope
   * @returns the JWT
   */
  token(email: string, options?: { expiresIn?: number; scope?: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the provider on a free loopback port with one RS256 key.
 *
 * Every token the HTTP endpoints issue gets an `email` claim (and `sub`, when the grant sets none)
 * from, in this order: the token request's `email` parameter; for `authorization_code`, the
 * `login_hint` given to /authorize with that code; for `refresh_token`, the email of the token the
 * refresh token came with; else `defaultEmail`. With `apps`, a client-credentials token of an app
 * carries {@link APP_MAILBOXES_CLAIM} (`*@<its domain>`), and a wrong client or secret is refused.
 *
 * @param options the default email
 * @returns the running provider
 * @example
 * ```ts
 * const oauth = await startOAuthProvider();
 * const response = await fetch(oauth.tokenEndpoint, {
 *   method: "POST",
 *   body: new URLSearchParams({ grant_type: "client_credentials", email: "alice@example.test" }),
 * });
 * const { access_token } = await response.json();
 * ```
 */
export async function startOAuthProvider(options: OAuthProviderOptions = {}): Promise<OAuthProviderHandle> {
  const server = new OAuth2Server();
  const jwk = await server.issuer.keys.generate("RS256");
  await server.start(0, "127.0.0.1");
  // the mock names itself "localhost", which may resolve to ::1 where nothing listens
  const issuer = `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuer;

  const emailByCode = new Map<string, string>();
  const emailByRefreshToken = new Map<string, string>();
  const emailFor = (body: TokenRequest & Record<string, unknown>): string | undefined => {
    if (typeof body.email === "string") return body.email;
    const known =
      body.grant_type === "authorization_code" && body.code !== undefined
        ? emailByCode.get(body.code)
        : body.grant_type === "refresh_token" && typeof body.refresh_token === "string"
          ? emailByRefreshToken.get(body.refresh_token)
          : undefined;
    return known ?? options.defaultEmail;
  };

  server.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: IncomingMessage) => {
    const hint = new URL(req.url ?? "/", issuer).searchParams.get("login_hint");
    const code = redirect.url.searchParams.get("code");
    if (hint !== null && code !== null) emailByCode.set(code, hint);
  });
  const appOf = (req: IncomingMessage & { body: TokenRequest & Record<string, unknown> }) =>
    req.body.grant_type === "client_credentials" && options.apps !== undefined
      ? _app(options.apps, req)
      : undefined;
  server.service.on(
    "beforeTokenSigning",
    (
      token: { payload: Record<string, unknown> },
      req: IncomingMessage & { body: TokenRequest & Record<string, unknown> },
    ) => {
      const app = appOf(req);
      if (app !== undefined && app !== "refused") {
        // as Microsoft's app-only tokens, whose subject is the app's service principal
        token.payload.sub ??= app.clientId;
        token.payload[APP_MAILBOXES_CLAIM] = `*@${app.domain}`;
      }
      const email = emailFor(req.body);
      if (email === undefined) return;
      token.payload.email = email;
      // as Google and most OpenID providers vouch for the address in the ID token (a test may set it
      // false); not in access tokens (they carry a scope), which Dovecot's submission service takes
      // in one AUTH line of limited length
      if (!("scope" in token.payload)) token.payload.email_verified ??= true;
      token.payload.sub ??= email;
    },
  );
  server.service.on(
    "beforeResponse",
    (
      response: { body: Record<string, unknown> | ""; statusCode: number },
      req: IncomingMessage & { body: TokenRequest & Record<string, unknown> },
    ) => {
      if (appOf(req) === "refused") {
        response.statusCode = 401;
        response.body = {
          error: "invalid_client",
          error_description: "Unknown client or wrong client secret",
        };
        return;
      }
      const email = emailFor(req.body);
      const refreshToken = response.body === "" ? undefined : response.body.refresh_token;
      if (email !== undefined && typeof refreshToken === "string")
        emailByRefreshToken.set(refreshToken, email);
    },
  );

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    authorizationEndpoint: `${issuer}/authorize`,
    jwksUri: `${issuer}/jwks`,
    kid: jwk.kid,
    publicKeyPem: await _spkiPem(jwk),
    server,
    token(email, tokenOptions = {}) {
      return server.issuer.buildToken({
        kid: jwk.kid,
        expiresIn: tokenOptions.expiresIn ?? 3600,
        scopesOrTransform: (_header, payload) => {
          payload.email = email;
          payload.sub = email;
          if (tokenOptions.scope !== undefined) payload.scope = tokenOptions.scope;
        },
      });
    },
    stop: () => server.stop(),
  };
}

/** The app a client-credentials request authenticates as (body or HTTP Basic), or "refused". */
function _app(
  apps: Readonly<Record<string, ClientCredentialsApp>>,
  req: IncomingMessage & { body: Record<string, unknown> },
): (ClientCredentialsApp & { clientId: string }) | "refused" {
  let id = req.body.client_id;
  let secret = req.body.client_secret;
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (basic?.[1] !== undefined) {
    const [user = "", pass = ""] = atob(basic[1]).split(":");
    [id, secret] = [decodeURIComponent(user), decodeURIComponent(pass)];
  }
  const app = typeof id === "string" && Object.hasOwn(apps, id) ? apps[id] : undefined;
  return app !== undefined && secret === app.clientSecret ? { ...app, clientId: id as string } : "refused";
}

/** The public half of an RSA JWK as an SPKI PEM, through WebCrypto. */
async function _spkiPem(jwk: { kty?: string; n?: string; e?: string }): Promise<string> {
  if (jwk.kty !== "RSA" || jwk.n === undefined || jwk.e === undefined) {
    throw new MailregError("INTERNAL", "The OAuth provider's key is not an RSA key");
  }
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n: jwk.n, e: jwk.e },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["verify"],
  );
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", key));
  const base64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN PUBLIC KEY-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
}
