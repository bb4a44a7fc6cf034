/**
 * OAuth 2.0 for mailboxes. Providers for Google, Microsoft 365 and any OpenID
 * Connect issuer behind one interface; the authorization-code flow with PKCE (S256), state and
 * nonce; ID tokens verified against the issuer's keys; an access-token cache that refreshes before
 * expiry, once per mailbox, with refresh-token rotation; XOAUTH2 and OAUTHBEARER strings for IMAP,
 * POP3 and SMTP; app-only (client-credentials) access for Microsoft 365 tenants and OIDC servers
 * that grant it. Web-standard only (fetch, crypto.subtle, jose).
 *
 * @module
 */
export {
  type AppAccessTokenOptions,
  type AppOnlySettings,
  appAccessToken,
  appOnlyProfileAuth,
  isAppOnlyProfileAuth,
} from "./app-only.ts";
export { readAuthorizationCode } from "./callback.ts";
export { type VerifyIdTokenOptions, verifyIdToken } from "./id-token.ts";
export { type MailboxAccessTokenOptions, mailboxAccessToken } from "./mailbox-tokens.ts";
export { createS256CodeChallenge, generateCodeVerifier, generateNonce, generateState } from "./pkce.ts";
export {
  type AuthorizationURLOptions,
  defineProvider,
  type OAuthProvider,
  type OAuthProviderConnector,
  type OAuthProviderFactory,
  type OAuthProviderOptions,
  type OAuthProviderSettings,
  type OAuthTokens,
  type VerifiedIdentity,
} from "./provider.ts";
export { GOOGLE_MAIL_SCOPES, google } from "./providers/google.ts";
export { MICROSOFT_APP_ONLY_SCOPES, MICROSOFT_MAIL_SCOPES, microsoft } from "./providers/microsoft.ts";
export { OIDC_DEFAULT_SCOPES, oidc } from "./providers/oidc.ts";
export { createOAuthProvider, createOAuthProviders, OAUTH_PROVIDERS } from "./registry.ts";
export { oauthbearerString, xoauth2String } from "./sasl.ts";
export {
  type GetAccessTokenOptions,
  type GetAppAccessTokenOptions,
  TokenManager,
  type TokenManagerOptions,
} from "./token-manager.ts";
