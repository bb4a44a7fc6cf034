/**
 * The one interface every OAuth provider implements, the shapes it takes and returns, and
 * {@link defineProvider}, which joins a provider file's factory with its options schema and metadata.
 *
 * @module
 */
import type { ProviderInfo } from "@mailreg/core";
import type { z } from "zod";

/**
 * One OAuth app as the config names it (`oauth.providers.<id>` of `mailreg.config.json`).
 * Structurally compatible with `OAuthProviderConfig` of `@mailreg/core`.
 */
export interface OAuthProviderSettings {
  /** Which provider file handles it: `google`, `microsoft`, `oidc` (a key of {@link OAUTH_PROVIDERS}). */
  kind: string;
  /** The app's client id. */
  clientId: string;
  /** The app's client secret; omitted for a public client (PKCE only). */
  clientSecret?: string | undefined;
  /** The redirect URI exactly as registered with the provider; sent unchanged. */
  redirectUri: string;
  /** Scopes to ask for; empty or omitted: the provider's default mail scopes. */
  scopes?: readonly string[] | undefined;
  /** Microsoft only: `common` (default), `organizations`, `consumers`, a tenant id or domain. */
  tenant?: string | undefined;
  /** OIDC only: the issuer URL; endpoints come from its discovery document. */
  issuer?: string | undefined;
}

/** Options every provider factory takes besides the settings. */
export interface OAuthProviderOptions {
  /** The fetch to use (a proxy, a recorder in tests); default the global fetch. */
  fetch?: typeof fetch;
}

/** What {@link OAuthProvider.createAuthorizationURL} puts into the URL. */
export interface AuthorizationURLOptions {
  /** From {@link generateState}; keep it (a cookie, the session) to check the callback. */
  state: string;
  /** From {@link generateCodeVerifier}; keep it, the code exchange needs it. Its S256 challenge is sent. */
  codeVerifier: string;
  /** From {@link generateNonce}; keep it, the ID token must carry it. */
  nonce: string;
  /** Scopes for this request instead of the configured ones. */
  scopes?: readonly string[];
  /** The address the owner typed, so the provider preselects the account. */
  loginHint?: string;
}

/**
 * The token endpoint's answer. Holds secrets: never log it, never put it in an error.
 */
export interface OAuthTokens {
  /** Usually `Bearer`. */
  tokenType: string;
  accessToken: string;
  /** Seconds the access token lives from when it was issued, if the server said. */
  expiresIn?: number;
  /** A refresh token, if the server issued one (on a refresh: a rotated one). */
  refreshToken?: string;
  /** The OpenID Connect ID token (JWT), if the server issued one. */
  idToken?: string;
  /** The granted scopes, if the server said (else the requested ones were granted). */
  scopes?: string[];
}

/** Who signed in, from a verified ID token. */
export interface VerifiedIdentity {
  /** The provider's stable id of the account. */
  sub: string;
  /** The account's email address, where the token carries one. */
  email?: string;
  /** Whether the provider verified that address, where the token says. */
  emailVerified?: boolean;
  /** Microsoft: the account's tenant (`tid`). */
  tenantId?: string;
  /** The issuer that signed it (`iss`). */
  issuer: string;
  /** Every verified claim, for callers that need more. */
  claims: Record<string, unknown>;
}

/**
 * An OAuth 2.0 / OpenID Connect provider: the same verbs for Google, Microsoft and any OIDC issuer.
 * Adding one is a new file in `providers/` and one line in {@link OAUTH_PROVIDERS}.
 */
export interface OAuthProvider {
  /** The kind it was made for (`google`, `microsoft`, `oidc`). */
  readonly kind: string;
  /** The redirect URI it sends, exactly as configured. */
  readonly redirectUri: string;
  /**
   * Builds the URL to send the owner to (authorization-code flow, PKCE S256, state, nonce).
   * @param options state, code verifier, nonce, optional scopes and login hint
   * @returns the provider's authorization URL
   */
  createAuthorizationURL(options: AuthorizationURLOptions): Promise<URL>;
  /**
   * Exchanges the code from the callback for tokens.
   * @param code the `code` query parameter of the callback
   * @param codeVerifier the verifier whose challenge went into the authorization URL
   * @returns the tokens (with a refresh token when offline access was granted)
   */
  validateAuthorizationCode(code: string, codeVerifier: string): Promise<OAuthTokens>;
  /**
   * Gets a new access token.
   * @param refreshToken the stored refresh token
   * @returns new tokens; a `refreshToken` in them replaces the old one (rotation)
   */
  refreshAccessToken(refreshToken: string): Promise<OAuthTokens>;
  /**
   * Verifies an ID token against the issuer's keys: signature, issuer, audience, expiry, nonce.
   * @param idToken the `idToken` of {@link OAuthTokens}
   * @param options the nonce that went into the authorization URL
   * @returns the verified identity
   */
  verifyIdToken(idToken: string, options: { nonce: string }): Promise<VerifiedIdentity>;
  /**
   * Asks for an app-only access token with the app's own credentials (client-credentials grant,
   * RFC 6749 §4.4), where the provider offers app-only mail access (Microsoft 365, an OIDC server;
   * not Google). No owner takes part and no refresh token comes back.
   * @param scopes the scopes to ask for; omitted: the provider's app-only default
   * @returns the tokens
   * @throws MailregError OAUTH_INVALID_CLIENT when the app's credentials or the tenant's permission
   *   are refused; CONFIG_INVALID without a client secret
   */
  requestClientCredentials?(scopes?: readonly string[]): Promise<OAuthTokens>;
  /**
   * Revokes a token (RFC 7009), where the provider offers it.
   * @param token a refresh or access token
   */
  revokeToken?(token: string): Promise<void>;
}

/** Makes a provider from its settings; one per file in `providers/`. */
export type OAuthProviderFactory = (
  settings: OAuthProviderSettings,
  options?: OAuthProviderOptions,
) => OAuthProvider;

/**
 * A provider kind: its factory, callable as before, carrying what config validation and the admin
 * pages need (kind, label, options schema, whether it grants app-only access). One per file in
 * `providers/`, registered by one line in `OAUTH_PROVIDERS`.
 */
export interface OAuthProviderConnector extends OAuthProviderFactory, ProviderInfo {}

/**
 * Declares a provider kind.
 *
 * @param info the kind (what `oauth.providers.<id>.kind` names), its label for people, the schema
 *   of its own options (a strict zod object of the keys besides `kind`, `clientId`, `clientSecret`,
 *   `redirectUri` and `scopes`, which every provider takes), whether it grants app-only access,
 *   whether it is a generic protocol (the pages then name an app by its id), and what to show as
 *   "where" on the admin's OAuth page
 * @param factory makes the provider from its settings
 * @returns the provider connector, for one line in `OAUTH_PROVIDERS`
 * @example
 * ```ts
 * import { defineProvider, google } from "@mailreg/oauth";
 * import { z } from "zod";
 * const workspace = defineProvider(
 *   { kind: "workspace", label: "Google Workspace", appOnly: false, options: z.strictObject({}) },
 *   (settings, options) => google(settings, options),
 * );
 * console.log(workspace.kind, workspace.label); // workspace Google Workspace
 * ```
 */
export function defineProvider(
  info: {
    kind: string;
    label: string;
    appOnly: boolean;
    options: z.ZodObject;
    generic?: boolean;
    where?: (options: Readonly<Record<string, unknown>>) => string | undefined;
  },
  factory: OAuthProviderFactory,
): OAuthProviderConnector {
  const metadata: ProviderInfo = {
    kind: info.kind,
    label: info.label,
    appOnly: info.appOnly,
    options: info.options,
    ...(info.generic === undefined ? {} : { generic: info.generic }),
    ...(info.where === undefined ? {} : { where: info.where }),
  };
  // a fresh function per kind, so the same factory can back two kinds with their own metadata
  return Object.assign(((settings, options) => factory(settings, options)) as OAuthProviderFactory, metadata);
}
