// The authorization-code client every provider file builds on: the authorization URL (PKCE S256,
// state, nonce), the code exchange, refresh, client credentials and revocation, with client_secret_post or _basic.
import { MailregError } from "@mailreg/core";
import { _base64 } from "./_base64.ts";
import { _formPost, _readRevocation, _readTokens, _send } from "./_request.ts";
import { createS256CodeChallenge } from "./pkce.ts";
import type { AuthorizationURLOptions, OAuthTokens } from "./provider.ts";

/** One registered app at one server. */
export interface _Client {
  clientId: string;
  clientSecret: string | undefined;
  /** Sent exactly as configured, in the authorization URL and the code exchange. */
  redirectUri: string;
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
  clientAuth: "post" | "basic";
  fetch: typeof fetch;
}

/**
 * The authorization URL of the code flow.
 * @param endpoint the authorization endpoint
 * @param client the app
 * @param options state, verifier, nonce, login hint
 * @param scopes the scopes to ask for
 * @returns the URL (providers add their own parameters)
 */
export async function _authorizationURL(
  endpoint: string,
  client: _Client,
  options: AuthorizationURLOptions,
  scopes: readonly string[],
): Promise<URL> {
  const url = new URL(endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", client.clientId);
  url.searchParams.set("redirect_uri", client.redirectUri);
  if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "));
  url.searchParams.set("state", options.state);
  url.searchParams.set("nonce", options.nonce);
  url.searchParams.set("code_challenge", await createS256CodeChallenge(options.codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (options.loginHint !== undefined) url.searchParams.set("login_hint", options.loginHint);
  return url;
}

/**
 * Exchanges an authorization code (RFC 6749 §4.1.3 with the PKCE verifier).
 * @param endpoint the token endpoint
 * @param client the app
 * @param code the callback's code
 * @param codeVerifier the PKCE verifier
 * @returns the tokens
 */
export async function _exchangeCode(
  endpoint: string,
  client: _Client,
  code: string,
  codeVerifier: string,
): Promise<OAuthTokens> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: client.redirectUri,
    code_verifier: codeVerifier,
  });
  return await _readTokens(await _send(client.fetch, _authenticated(endpoint, client, body)));
}

/**
 * Refreshes an access token (RFC 6749 §6).
 * @param endpoint the token endpoint
 * @param client the app
 * @param refreshToken the refresh token
 * @param scopes scopes to send (Microsoft wants them); omitted: none sent
 * @returns the tokens, with a rotated refresh token where the server rotates
 */
export async function _refresh(
  endpoint: string,
  client: _Client,
  refreshToken: string,
  scopes?: readonly string[],
): Promise<OAuthTokens> {
  const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
  if (scopes !== undefined && scopes.length > 0) body.set("scope", scopes.join(" "));
  return await _readTokens(await _send(client.fetch, _authenticated(endpoint, client, body)));
}

/**
 * Asks for an app-only access token (RFC 6749 §4.4, client credentials). An answer of
 * `invalid_client`, `unauthorized_client` or `invalid_grant` means the app's own credentials or
 * the tenant's permission were refused: OAUTH_INVALID_CLIENT, for the administrator to fix.
 * @param endpoint the token endpoint
 * @param client the app (it must have a client secret)
 * @param scopes scopes to send; empty: none sent (the server's default)
 * @returns the tokens (no refresh token: a new one is simply asked for)
 */
export async function _clientCredentials(
  endpoint: string,
  client: _Client,
  scopes: readonly string[],
): Promise<OAuthTokens> {
  if (client.clientSecret === undefined) {
    throw new MailregError("CONFIG_INVALID", "App-only OAuth access needs the app's client secret", {
      details: { field: "clientSecret" },
    });
  }
  const body = new URLSearchParams({ grant_type: "client_credentials" });
  if (scopes.length > 0) body.set("scope", scopes.join(" "));
  try {
    return await _readTokens(await _send(client.fetch, _authenticated(endpoint, client, body)));
  } catch (error) {
    const refused = error instanceof MailregError ? String(error.details?.error) : "";
    if (!(error instanceof MailregError) || !_APP_REFUSALS.includes(refused)) throw error;
    const message = `The OAuth server refused the app's own credentials (${refused}): the administrator must fix its client id, secret or the tenant's permission`;
    throw new MailregError("OAUTH_INVALID_CLIENT", message, { details: { ...error.details } });
  }
}

/** The answers that mean the app itself (not a request detail) was refused. */
const _APP_REFUSALS = ["invalid_client", "unauthorized_client", "invalid_grant"];

/**
 * Revokes a token (RFC 7009).
 * @param endpoint the revocation endpoint
 * @param client the app
 * @param token the token to revoke
 */
export async function _revoke(endpoint: string, client: _Client, token: string): Promise<void> {
  const body = new URLSearchParams({ token });
  await _readRevocation(await _send(client.fetch, _authenticated(endpoint, client, body)));
}

/** Adds the client's credentials to a token or revocation request. */
function _authenticated(endpoint: string, client: _Client, body: URLSearchParams): Request {
  if (client.clientAuth === "basic" && client.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: both parts form-urlencoded before base64
    const pair = `${_formEncode(client.clientId)}:${_formEncode(client.clientSecret)}`;
    return _formPost(endpoint, body, `Basic ${_base64(pair)}`);
  }
  body.set("client_id", client.clientId);
  if (client.clientSecret !== undefined) body.set("client_secret", client.clientSecret);
  return _formPost(endpoint, body);
}

function _formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
