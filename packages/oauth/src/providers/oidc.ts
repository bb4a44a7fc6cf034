/**
 * Any OpenID Connect issuer (Keycloak, Authentik, Dex, oauth2-mock-server …): the endpoints and
 * keys come from the issuer's discovery document, fetched once and kept.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import type { JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { _authorizationURL, _clientCredentials, _exchangeCode, _refresh, _revoke } from "../_client.ts";
import { _clientFrom, _invalidSetting, _remoteKeys, _scopes } from "../_common.ts";
import { _readJson, _send } from "../_request.ts";
import { verifyIdToken } from "../id-token.ts";
import { defineProvider, type OAuthProviderConnector } from "../provider.ts";

/** The scopes asked for when the config names none. */
export const OIDC_DEFAULT_SCOPES: readonly string[] = ["openid", "email", "offline_access"];

/** What is used of the discovery document. */
interface _Discovery {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  revocationEndpoint: string | undefined;
  clientAuth: "post" | "basic";
}

/**
 * Makes a provider for any OpenID Connect issuer (`kind: "oidc"`, `issuer` required). Its endpoints
 * are read from `{issuer}/.well-known/openid-configuration` on first use and kept for the
 * provider's life (a failed fetch is retried on the next call), so keep one provider per config.
 * The client authenticates with `client_secret_post` where the issuer lists it, else `client_secret_basic`.
 * App-only access (`requestClientCredentials`) sends the given scopes, or none (the server's default).
 *
 * @param settings client id, client secret, redirect URI, issuer, scopes
 * @param options the fetch to use
 * @returns the provider
 * @example
 * ```ts ignore
 * import { generateCodeVerifier, generateNonce, generateState, oidc } from "@mailreg/oauth";
 * const provider = oidc({
 *   kind: "oidc",
 *   issuer: "https://id.example.org/realms/mail",
 *   clientId: "mailreg",
 *   clientSecret: "secret",
 *   redirectUri: "https://reg.example.org/oauth/callback",
 * });
 * const url = await provider.createAuthorizationURL({
 *   state: generateState(),
 *   codeVerifier: generateCodeVerifier(),
 *   nonce: generateNonce(),
 * });
 * ```
 */
export const oidc: OAuthProviderConnector = defineProvider(
  {
    kind: "oidc",
    label: "OpenID Connect",
    appOnly: true,
    generic: true,
    options: z.strictObject({
      issuer: z
        .url({
          protocol: /^https?$/,
          error: (issue) =>
            issue.input === undefined ? "required: the issuer's URL" : "must be an http(s) URL",
        })
        .describe("The issuer URL; the endpoints come from its discovery document"),
    }),
    where: (options) => (typeof options.issuer === "string" ? options.issuer : undefined),
  },
  (settings, options = {}) => {
    const client = _clientFrom(settings, options, "post");
    const scopes = _scopes(settings, OIDC_DEFAULT_SCOPES);
    const issuer = settings.issuer ?? "";
    if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
      _invalidSetting(settings, "issuer", "must be an absolute http(s) URL");
    }
    let discovery: Promise<_Discovery> | undefined;
    let keys: JWTVerifyGetKey | undefined;
    const discover = (): Promise<_Discovery> => {
      discovery ??= _discover(issuer, client.fetch).catch((error: unknown) => {
        discovery = undefined;
        throw error;
      });
      return discovery;
    };
    const clientFor = (d: _Discovery) => ({ ...client, clientAuth: d.clientAuth });

    return {
      kind: "oidc",
      redirectUri: client.redirectUri,
      async createAuthorizationURL(request) {
        const d = await discover();
        const requested = request.scopes ?? scopes;
        const url = await _authorizationURL(d.authorizationEndpoint, client, request, requested);
        // OpenID Connect Core §11: offline access is granted only with explicit consent
        if (requested.includes("offline_access")) url.searchParams.set("prompt", "consent");
        return url;
      },
      async validateAuthorizationCode(code, codeVerifier) {
        const d = await discover();
        return await _exchangeCode(d.tokenEndpoint, clientFor(d), code, codeVerifier);
      },
      async refreshAccessToken(refreshToken) {
        const d = await discover();
        return await _refresh(d.tokenEndpoint, clientFor(d), refreshToken);
      },
      // app-only: without configured scopes none are sent, and the server grants its default
      async requestClientCredentials(appScopes = []) {
        const d = await discover();
        return await _clientCredentials(d.tokenEndpoint, clientFor(d), appScopes);
      },
      async verifyIdToken(idToken, { nonce }) {
        const d = await discover();
        keys ??= _remoteKeys(d.jwksUri, client.fetch);
        return await verifyIdToken(idToken, { issuer: d.issuer, clientId: client.clientId, nonce, keys });
      },
      async revokeToken(token) {
        const d = await discover();
        if (d.revocationEndpoint === undefined) {
          throw new MailregError("OAUTH_REQUEST", "The OAuth server offers no token revocation", {
            details: { reason: "no revocation_endpoint in the discovery document" },
          });
        }
        await _revoke(d.revocationEndpoint, clientFor(d), token);
      },
    };
  },
);

/** Fetches and checks the discovery document (OpenID Connect Discovery 1.0 §4). */
async function _discover(issuer: string, fetchFn: typeof fetch): Promise<_Discovery> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const request = new Request(url, { headers: { Accept: "application/json" } });
  const doc = await _readJson(await _send(fetchFn, request));
  const wrong = (reason: string) => {
    const message = `The OAuth server's discovery document is not usable: ${reason}`;
    return new MailregError("OAUTH_UNEXPECTED_RESPONSE", message, { details: { reason, url } });
  };
  // §4.3: the document must name the issuer it was fetched for
  if (typeof doc.issuer !== "string" || doc.issuer.replace(/\/$/, "") !== issuer.replace(/\/$/, "")) {
    throw wrong("it names another issuer");
  }
  const endpoint = (name: string): string | undefined => {
    const value = doc[name];
    return typeof value === "string" && URL.canParse(value) ? value : undefined;
  };
  const authorizationEndpoint = endpoint("authorization_endpoint");
  const tokenEndpoint = endpoint("token_endpoint");
  const jwksUri = endpoint("jwks_uri");
  if (authorizationEndpoint === undefined || tokenEndpoint === undefined || jwksUri === undefined) {
    throw wrong("authorization_endpoint, token_endpoint or jwks_uri is missing");
  }
  const methods = doc.token_endpoint_auth_methods_supported;
  // §3: without the list, client_secret_basic is the default
  const basic = Array.isArray(methods)
    ? !methods.includes("client_secret_post") && methods.includes("client_secret_basic")
    : true;
  return {
    issuer: doc.issuer,
    authorizationEndpoint,
    tokenEndpoint,
    jwksUri,
    revocationEndpoint: endpoint("revocation_endpoint"),
    clientAuth: basic ? "basic" : "post",
  };
}
