/**
 * "Sign in with Google/Microsoft": starting a sign-in at the provider, and turning its answer into a
 * pending registration whose sealed profile holds the refresh token, with the SMTP address taken
 * from the verified ID token and the server from the template linked to the provider.
 *
 * @module
 */
import {
  type Config,
  type ConnectionProfile,
  isMailregError,
  MailregError,
  networkPolicy,
  type ServerTemplate,
} from "@mailreg/core";
import {
  generateCodeVerifier,
  generateNonce,
  generateState,
  type OAuthProvider,
  type OAuthTokens,
  readAuthorizationCode,
  type VerifiedIdentity,
} from "@mailreg/oauth";
import { type FieldErrors, fieldsError } from "../http/field-errors.ts";
import { checkAddress } from "../submit/check-submission.ts";
import { type Submitted, storeProfile } from "../submit/store-profile.ts";
import type { SubmitContext } from "../submit/submit-registration.ts";
import { verifySubmission } from "../submit/verify-submission.ts";
import type { OAuthFlow } from "./flow-cookie.ts";

/** What the OAuth sign-in needs: a submission's context plus the providers by config id. */
export interface OAuthContext extends SubmitContext {
  /** One provider per entry of `oauth.providers`, made once (they cache discovery and keys). */
  oauth: ReadonlyMap<string, OAuthProvider>;
}

/**
 * Why a sign-in was refused, as `details.reason` of the error: each has its own message for the
 * owner (`oauth.error.<reason>`).
 */
export type OAuthRefusal =
  | "state"
  | "redirect-uri"
  | "declined"
  | "refused"
  | "code"
  | "id-token"
  | "no-email"
  | "unverified-email"
  | "tenant-not-allowed"
  | "no-refresh-token"
  | "mail-login"
  | "unreachable";

/**
 * The server template a provider's sign-ins register with: the templates whose `oauthProvider` is
 * the provider, one offered on the registration page first.
 *
 * @param config the config
 * @param providerId the provider's id in `oauth.providers`
 * @returns the template, or undefined when none is linked
 */
export function oauthTemplate(config: Config, providerId: string): ServerTemplate | undefined {
  const linked = config.servers.filter((s) => s.oauthProvider === providerId);
  return linked.find((s) => config.registration.templates.includes(s.id)) ?? linked[0];
}

/**
 * The provider of an id, when it is configured and has a server template to register with.
 *
 * @param ctx the config and providers
 * @param providerId the id from the URL
 * @returns the provider and its template
 * @throws {MailregError} NOT_FOUND for an unknown id or one without a linked server template
 */
export function signInProvider(
  ctx: OAuthContext,
  providerId: string,
): { provider: OAuthProvider; template: ServerTemplate } {
  const provider = ctx.oauth.get(providerId);
  const template = oauthTemplate(ctx.config, providerId);
  if (provider === undefined || template === undefined) {
    throw new MailregError("NOT_FOUND", `No sign-in provider ${providerId}`, {
      details: { provider: providerId },
    });
  }
  return { provider, template };
}

/**
 * Starts a sign-in: new state, PKCE verifier and nonce, and the provider's authorization URL with
 * the redirect URI exactly as configured.
 *
 * @param ctx the config and providers
 * @param providerId the provider's id
 * @param loginHint the address to preselect at the provider (a "grant again" link carries it)
 * @returns the flow to keep (in the sign-in cookie) and where to send the owner
 * @throws {MailregError} NOT_FOUND; VALIDATION for a login hint that is no address; OAUTH_* when
 *   the provider's discovery document cannot be read
 */
export async function startSignIn(
  ctx: OAuthContext,
  providerId: string,
  loginHint?: string,
): Promise<{ flow: OAuthFlow; url: URL }> {
  const { provider } = signInProvider(ctx, providerId);
  let hint: string | undefined;
  if (loginHint !== undefined && loginHint !== "") {
    const fields: FieldErrors = {};
    hint = checkAddress(loginHint, [], fields, true);
    if (hint === undefined) throw fieldsError("VALIDATION", fields);
  }
  const flow: OAuthFlow = {
    provider: providerId,
    state: generateState(),
    codeVerifier: generateCodeVerifier(),
    nonce: generateNonce(),
  };
  const url = await _step("unreachable", () =>
    provider.createAuthorizationURL({ ...flow, ...(hint === undefined ? {} : { loginHint: hint }) }),
  );
  return { flow, url };
}

/**
 * Whether the callback arrived at the configured redirect URI: same origin and path, and every
 * query parameter of the configured URI with the same value.
 *
 * @param callbackUrl the callback's own URL (as the browser saw it)
 * @param redirectUri the configured redirect URI
 * @returns true when they agree
 */
export function isConfiguredRedirect(callbackUrl: URL, redirectUri: string): boolean {
  const configured = new URL(redirectUri);
  if (configured.origin !== callbackUrl.origin || configured.pathname !== callbackUrl.pathname) return false;
  return [...configured.searchParams].every(([k, v]) => callbackUrl.searchParams.getAll(k).includes(v));
}

/**
 * Takes the provider's answer: checks that it belongs to the sign-in in `flow` and arrived at the
 * configured redirect URI, exchanges the code, verifies the ID token, and stores a pending
 * registration (auth method `oauth2`) sealed with the registry public key. Call it only while
 * registration is open.
 *
 * @param ctx config, keys, store writer, providers, login check
 * @param input the provider's id, the callback's own URL, and the sign-in from the cookie (if any)
 * @returns the stored registration's id and arrival time, and the address
 * @throws {MailregError} NOT_FOUND; OAUTH_* with `details.reason` an {@link OAuthRefusal};
 *   VALIDATION (details.fieldErrors.address) for an address of a domain not allowed; MAIL_* (with
 *   `details.reason` "mail-login") when verify-on-submit is on and the server refuses the token
 */
export async function finishSignIn(
  ctx: OAuthContext,
  input: { providerId: string; callbackUrl: URL; flow: OAuthFlow | undefined },
): Promise<Submitted & { address: string }> {
  const { provider, template } = signInProvider(ctx, input.providerId);
  const { flow, callbackUrl } = input;
  // oauth2-mock-server (and a careless provider) does not hold the token request's redirect_uri
  // against the authorization request's, so a code sent to another address would be accepted
  // there: compare the address the answer actually arrived at with the configured redirect URI here.
  if (!isConfiguredRedirect(callbackUrl, provider.redirectUri)) {
    throw _refused("OAUTH_STATE_MISMATCH", "redirect-uri", "The sign-in answer arrived at another address");
  }
  if (flow === undefined || flow.provider !== input.providerId) {
    throw _refused("OAUTH_STATE_MISMATCH", "state", "No sign-in with this provider is in progress here");
  }
  const code = await _step("refused", async () => readAuthorizationCode(callbackUrl, flow.state));
  const tokens = await _step("code", () => provider.validateAuthorizationCode(code, flow.codeVerifier));
  if (tokens.idToken === undefined) {
    throw _refused("OAUTH_ID_TOKEN_INVALID", "id-token", "The provider sent no ID token");
  }
  const idToken = tokens.idToken;
  const identity = await _step("id-token", () => provider.verifyIdToken(idToken, { nonce: flow.nonce }));
  const address = trustedAddress(ctx.config, input.providerId, identity);
  if (tokens.refreshToken === undefined) {
    throw _refused(
      "OAUTH_REQUEST",
      "no-refresh-token",
      "The provider granted no lasting access (no refresh token)",
    );
  }
  const profile = _profile(input.providerId, template, address, tokens.refreshToken, tokens);
  if (ctx.config.registration.verifyOnSubmit) {
    await _verify(ctx, profile, template, tokens.accessToken);
  }
  const submitted = await storeProfile(ctx, profile, _displayName(identity));
  return { ...submitted, address };
}

/**
 * The SMTP address: the verified ID token's email, normalised and in an allowed domain — and only
 * where the provider vouches for it. Google and generic OIDC: `email_verified` must be true.
 * Microsoft sends no such flag and any tenant's administrator can set `email`, so the token's tenant
 * (`tid`) must be one of the provider's `allowedTenants` and the address's domain one that tenant owns
 * (as configured there). Anything else is refused before anything is stored.
 *
 * @param config the config (allowed domains, the provider's settings)
 * @param providerId the provider's id in `oauth.providers`
 * @param identity the verified ID token's identity
 * @returns the normalised address
 * @throws {MailregError} OAUTH_ID_TOKEN_INVALID (details.reason no-email, unverified-email,
 *   tenant-not-allowed) or VALIDATION (the address, or its domain not allowed)
 */
export function trustedAddress(config: Config, providerId: string, identity: VerifiedIdentity): string {
  if (identity.email === undefined) {
    throw _refused("OAUTH_ID_TOKEN_INVALID", "no-email", "The ID token names no email address");
  }
  const fields: FieldErrors = {};
  const { allowedDomains, allowUnusualAddresses } = config.registration;
  const address = checkAddress(identity.email, allowedDomains, fields, allowUnusualAddresses);
  if (address === undefined) throw fieldsError("VALIDATION", fields);
  const settings = config.oauth.providers[providerId] as
    | { kind: string; allowedTenants?: Record<string, string[]> }
    | undefined;
  if (settings?.kind === "microsoft") {
    const tid = identity.tenantId;
    const domains =
      tid === undefined
        ? undefined
        : Object.entries(settings.allowedTenants ?? {}).find(
            ([t]) => t.toLowerCase() === tid.toLowerCase(),
          )?.[1];
    const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
    if (domains === undefined || !domains.some((d) => d.toLowerCase() === domain)) {
      throw _refused(
        "OAUTH_ID_TOKEN_INVALID",
        "tenant-not-allowed",
        "The account's organisation is not one this site trusts for this address",
      );
    }
  } else if (identity.emailVerified !== true) {
    throw _refused("OAUTH_ID_TOKEN_INVALID", "unverified-email", "The provider has not verified the address");
  }
  return address;
}

function _profile(
  provider: string,
  template: ServerTemplate,
  address: string,
  refreshToken: string,
  tokens: OAuthTokens,
): ConnectionProfile {
  const scope = tokens.scopes?.join(" ");
  return {
    v: 1,
    address,
    protocol: template.protocol,
    host: template.host,
    port: template.port,
    security: template.security,
    login: address,
    auth: {
      method: "oauth2",
      provider,
      refreshToken,
      ...(scope === undefined || scope === "" || scope.length > 2048 ? {} : { scope }),
    },
    template: template.id,
  };
}

/** The account's name from the ID token, where it is a plain one-line string. */
function _displayName(identity: VerifiedIdentity): string | undefined {
  const name = identity.claims.name;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  return typeof name === "string" && name.trim() !== "" && name.length <= 200 && !/[\x00-\x1f\x7f]/.test(name)
    ? name.trim()
    : undefined;
}

/** Verify-on-submit with the fresh access token (XOAUTH2). */
async function _verify(
  ctx: OAuthContext,
  profile: ConnectionProfile,
  template: ServerTemplate,
  accessToken: string,
): Promise<void> {
  if (ctx.verifyLogin === undefined) {
    throw new MailregError("DEPENDENCY_MISSING", "Verify-on-submit is on but this server has no login check");
  }
  const { protocol, host, port, security, tls } = template;
  const server = { protocol, host, port, security, template: template.id, tls };
  try {
    await verifySubmission(
      ctx.verifyLogin,
      profile,
      server,
      ctx.verifyTimeoutMs,
      accessToken,
      networkPolicy(ctx.config),
    );
  } catch (error) {
    if (!isMailregError(error) || !error.code.startsWith("MAIL_")) throw error;
    throw new MailregError(error.code, "The mail server did not accept the sign-in's access", {
      cause: error,
      details: { reason: "mail-login" satisfies OAuthRefusal },
    });
  }
}

function _refused(
  code: "OAUTH_STATE_MISMATCH" | "OAUTH_ID_TOKEN_INVALID" | "OAUTH_REQUEST",
  reason: OAuthRefusal,
  message: string,
) {
  return new MailregError(code, message, { details: { reason } });
}

/**
 * Runs one step of the sign-in; an OAuth error it throws gets the step's reason, except that an
 * unreachable provider, a declined sign-in and a state mismatch keep their own.
 */
async function _step<T>(reason: OAuthRefusal, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isMailregError(error) || !error.code.startsWith("OAUTH_")) throw error;
    let kept = reason;
    if (error.code === "OAUTH_UNREACHABLE") kept = "unreachable";
    else if (error.code === "OAUTH_STATE_MISMATCH") kept = "state";
    else if (error.code === "OAUTH_REQUEST" && error.details?.error === "access_denied") kept = "declined";
    throw new MailregError(error.code, error.message, {
      cause: error,
      details: { ...error.details, reason: kept },
    });
  }
}
