/**
 * Checks the bearer token of an SMTP `AUTH XOAUTH2` the way a mail server that trusts an OAuth
 * provider does (Dovecot's oauth2 passdb with local validation): the JWT's signature against the
 * provider's JWKS, its issuer and expiry, and that its `email` claim names the user logging in (or,
 * for app-only tokens, that its claim names the user's domain).
 *
 * @module
 */
import { createRemoteJWKSet, jwtVerify } from "jose";

/** Checks one XOAUTH2 login: true when the token is valid and belongs to `user`. */
export type AccessTokenVerifier = (user: string, accessToken: string) => Promise<boolean>;

/** Options of {@link jwksTokenVerifier}. */
export interface JwksTokenVerifierOptions {
  /** The provider's issuer URL: the tokens' `iss`. */
  issuer: string;
  /** The provider's JWKS URL (fetched on first use, then cached by jose). */
  jwksUri: string;
  /** The claim that must equal the login; default `email`. */
  usernameClaim?: string;
  /**
   * What of the claim and the login must be equal: `user`, the whole name (default), or `domain`,
   * the lower-cased part after the `@` of each, as Dovecot's `username_format = %Ld` compares them
   * (an app-only token whose claim is `*@contoso.test` sends as any user of contoso.test).
   */
  compare?: "user" | "domain";
}

/**
 * A verifier for the tokens of one OAuth provider (RS256 and other asymmetric algorithms only).
 *
 * @param options the issuer, its JWKS URL and the claim naming the user
 * @returns the verifier (never throws: a bad token, or keys that cannot be fetched, give false)
 * @example
 * ```ts
 * const oauth = await startOAuthProvider();
 * const sink = await startSmtpSink({
 *   verifyAccessToken: jwksTokenVerifier({ issuer: oauth.issuer, jwksUri: oauth.jwksUri }),
 * });
 * ```
 */
export function jwksTokenVerifier(options: JwksTokenVerifierOptions): AccessTokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUri));
  const claim = options.usernameClaim ?? "email";
  return async (user, accessToken) => {
    try {
      const { payload } = await jwtVerify(accessToken, keys, {
        issuer: options.issuer,
        algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"],
      });
      const value = payload[claim];
      if (typeof value !== "string") return false;
      return options.compare === "domain"
        ? _domain(value) !== "" && _domain(value) === _domain(user)
        : value === user;
    } catch {
      return false;
    }
  };
}

/** The lower-cased part after the last `@`, or "" without one. */
function _domain(name: string): string {
  const at = name.lastIndexOf("@");
  return at < 0 ? "" : name.slice(at + 1).toLowerCase();
}
