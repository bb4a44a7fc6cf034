/**
 * OpenID Connect ID token verification with jose: signature against the issuer's keys, issuer,
 * audience, expiry and nonce.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { VerifiedIdentity } from "./provider.ts";

/** Options of {@link verifyIdToken}. */
export interface VerifyIdTokenOptions {
  /**
   * The issuer the token must name (`iss`), or several accepted spellings. A `{tenantid}` in it
   * (Microsoft's multi-tenant issuer) stands for the token's own `tid` claim, which must be a GUID.
   */
  issuer: string | readonly string[];
  /** The app's client id: the token's audience. */
  clientId: string;
  /** The nonce that went into the authorization URL. */
  nonce: string;
  /** The issuer's keys: `createRemoteJWKSet(new URL(jwksUri))` (or a local set). */
  keys: JWTVerifyGetKey;
  /** The clock in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** Seconds of clock skew accepted on `exp`, `iat` and `nbf`; default 60. */
  clockToleranceSeconds?: number;
}

/** Asymmetric JWS algorithms only: never `none`, never a MAC keyed by something guessable. */
const _ALGORITHMS = [
  ...["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
  ...["ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
];
const _GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies an ID token and returns who signed in.
 *
 * @param idToken the ID token (a JWS compact string)
 * @param options expected issuer, client id, nonce and the issuer's keys
 * @returns the verified `sub`, `email` (and `email_verified`) where present, the tenant and all claims
 * @throws MailregError OAUTH_ID_TOKEN_INVALID (details.reason, details.claim) for a bad signature,
 *   issuer, audience, expiry or nonce; OAUTH_UNREACHABLE or OAUTH_UNEXPECTED_RESPONSE when the keys
 *   cannot be fetched
 * @example
 * ```ts ignore
 * import { createRemoteJWKSet } from "jose";
 * import { verifyIdToken } from "@mailreg/oauth";
 * const identity = await verifyIdToken(tokens.idToken, {
 *   issuer: "https://accounts.google.com",
 *   clientId: "my-client-id",
 *   nonce,
 *   keys: createRemoteJWKSet(new URL("https://www.googleapis.com/oauth2/v3/certs")),
 * });
 * console.log(identity.email, identity.emailVerified);
 * ```
 */
export async function verifyIdToken(
  idToken: string,
  options: VerifyIdTokenOptions,
): Promise<VerifiedIdentity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, options.keys, {
      audience: options.clientId,
      algorithms: _ALGORITHMS,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
      currentDate: new Date((options.now ?? Date.now)()),
      clockTolerance: options.clockToleranceSeconds ?? 60,
    }));
  } catch (error) {
    throw _translate(error);
  }

  const tid = typeof payload.tid === "string" && _GUID.test(payload.tid) ? payload.tid : undefined;
  const issuers = typeof options.issuer === "string" ? [options.issuer] : options.issuer;
  const accepted = issuers.flatMap((issuer) => {
    if (!issuer.includes("{tenantid}")) return [issuer];
    return tid === undefined ? [] : [issuer.replace("{tenantid}", tid)];
  });
  if (!accepted.includes(payload.iss as string)) {
    throw _invalid("The ID token comes from another issuer", "iss");
  }
  // OpenID Connect Core §3.1.3.7: an authorized party, if named, must be this client
  if (payload.azp !== undefined && payload.azp !== options.clientId) {
    throw _invalid("The ID token was issued to another client", "azp");
  }
  if (payload.nonce !== options.nonce) {
    throw _invalid("The ID token does not belong to this sign-in", "nonce");
  }

  const identity: VerifiedIdentity = {
    sub: payload.sub as string,
    issuer: payload.iss as string,
    claims: payload,
  };
  if (typeof payload.email === "string") identity.email = payload.email;
  // some issuers send the flag as a string
  const verified = payload.email_verified;
  if (typeof verified === "boolean") identity.emailVerified = verified;
  else if (verified === "true" || verified === "false") identity.emailVerified = verified === "true";
  if (tid !== undefined) identity.tenantId = tid;
  return identity;
}

function _invalid(message: string, claim: string): MailregError {
  return new MailregError("OAUTH_ID_TOKEN_INVALID", message, { details: { reason: "claim", claim } });
}

/** jose's errors: key-fetch failures are the server's, everything else is the token's. */
function _translate(error: unknown): MailregError {
  if (error instanceof MailregError) return error;
  if (!(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout) {
    return new MailregError("OAUTH_UNREACHABLE", "The OAuth server's signing keys could not be fetched", {
      cause: error,
    });
  }
  if (error.code === "ERR_JOSE_GENERIC" || error instanceof errors.JWKSInvalid) {
    const message = "The OAuth server's signing keys could not be read";
    return new MailregError("OAUTH_UNEXPECTED_RESPONSE", message, {
      cause: error,
      details: { reason: error.code },
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    const message =
      error instanceof errors.JWTExpired
        ? "The ID token has expired"
        : `The ID token's ${error.claim} claim is wrong`;
    return new MailregError("OAUTH_ID_TOKEN_INVALID", message, {
      cause: error,
      details: { reason: "claim", claim: error.claim },
    });
  }
  return new MailregError("OAUTH_ID_TOKEN_INVALID", "The ID token's signature or format is not valid", {
    cause: error,
    details: { reason: error.code },
  });
}
