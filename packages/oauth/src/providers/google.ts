/**
 * Google: Gmail over IMAP, POP3 and SMTP with XOAUTH2 (scope `https://mail.google.com/`), offline
 * access so a refresh token is issued, and the `email` of the signed-in account from its ID token.
 *
 * @module
 */
import type { JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { _authorizationURL, _exchangeCode, _refresh, _revoke } from "../_client.ts";
import { _clientFrom, _remoteKeys, _scopes } from "../_common.ts";
import { verifyIdToken } from "../id-token.ts";
import { defineProvider, type OAuthProviderConnector } from "../provider.ts";

const _AUTHORIZATION_ENDPOINT = "https://accounts.google.com/o/oauth2/v2/auth";
const _TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token";
const _REVOCATION_ENDPOINT = "https://oauth2.googleapis.com/revoke";
const _JWKS_URI = "https://www.googleapis.com/oauth2/v3/certs";
/** Google's ID tokens name either spelling. */
const _ISSUERS = ["https://accounts.google.com", "accounts.google.com"];

/** The scopes asked for when the config names none: full mail access, and who signed in. */
export const GOOGLE_MAIL_SCOPES: readonly string[] = ["https://mail.google.com/", "openid", "email"];

/**
 * Makes the Google provider (`kind: "google"`). The authorization URL asks for offline access and
 * consent every time, so Google issues a refresh token even to an owner who granted before.
 *
 * @param settings client id, client secret, redirect URI, scopes
 * @param options the fetch to use
 * @returns the provider
 * @example
 * ```ts
 * import { generateCodeVerifier, generateNonce, generateState, google } from "@mailreg/oauth";
 * const provider = google({
 *   kind: "google",
 *   clientId: "1234.apps.googleusercontent.com",
 *   clientSecret: "secret",
 *   redirectUri: "https://reg.example.org/oauth/callback",
 * });
 * const url = await provider.createAuthorizationURL({
 *   state: generateState(),
 *   codeVerifier: generateCodeVerifier(),
 *   nonce: generateNonce(),
 * });
 * console.log(url.origin); // https://accounts.google.com
 * ```
 */
export const google: OAuthProviderConnector = defineProvider(
  // Google offers no client-credentials access to Gmail's IMAP or SMTP
  { kind: "google", label: "Google", appOnly: false, options: z.strictObject({}) },
  (settings, options = {}) => {
    const client = _clientFrom(settings, options, "post");
    const scopes = _scopes(settings, GOOGLE_MAIL_SCOPES);
    let keys: JWTVerifyGetKey | undefined;
    return {
      kind: "google",
      redirectUri: client.redirectUri,
      async createAuthorizationURL(request) {
        const url = await _authorizationURL(
          _AUTHORIZATION_ENDPOINT,
          client,
          request,
          request.scopes ?? scopes,
        );
        url.searchParams.set("access_type", "offline");
        url.searchParams.set("prompt", "consent");
        return url;
      },
      validateAuthorizationCode: (code, codeVerifier) =>
        _exchangeCode(_TOKEN_ENDPOINT, client, code, codeVerifier),
      refreshAccessToken: (refreshToken) => _refresh(_TOKEN_ENDPOINT, client, refreshToken),
      verifyIdToken(idToken, { nonce }) {
        keys ??= _remoteKeys(_JWKS_URI, client.fetch);
        return verifyIdToken(idToken, { issuer: _ISSUERS, clientId: client.clientId, nonce, keys });
      },
      revokeToken: (token) => _revoke(_REVOCATION_ENDPOINT, client, token),
    };
  },
);
