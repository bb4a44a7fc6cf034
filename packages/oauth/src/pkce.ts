/**
 * Random values for one sign-in (state, PKCE code verifier, nonce) and the PKCE S256 challenge.
 *
 * @module
 */
import { base64url } from "jose";

/** 32 random bytes, base64url without padding: 43 characters of `[A-Za-z0-9_-]`. */
function _random(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * A fresh `state` for one authorization request (CSRF protection of the callback).
 *
 * @returns 43 random base64url characters
 * @example
 * ```ts
 * import { generateState } from "@mailreg/oauth";
 * const state = generateState(); // keep it in a cookie; the callback must return it
 * ```
 */
export function generateState(): string {
  return _random();
}

/**
 * A fresh PKCE code verifier (RFC 7636: 43 characters of the unreserved set).
 *
 * @returns 43 random base64url characters
 */
export function generateCodeVerifier(): string {
  return _random();
}

/**
 * A fresh OpenID Connect nonce, which the ID token must carry back.
 *
 * @returns 43 random base64url characters
 */
export function generateNonce(): string {
  return _random();
}

/**
 * The PKCE S256 code challenge of a verifier: BASE64URL(SHA-256(verifier)).
 *
 * @param codeVerifier the verifier from {@link generateCodeVerifier}
 * @returns the challenge to send as `code_challenge` with `code_challenge_method=S256`
 * @example
 * ```ts
 * import { createS256CodeChallenge } from "@mailreg/oauth";
 * // RFC 7636, appendix B
 * const challenge = await createS256CodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
 * console.log(challenge); // E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
 * ```
 */
export async function createS256CodeChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier));
  return base64url.encode(new Uint8Array(digest));
}
