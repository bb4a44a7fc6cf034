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
export * from "./app-only.ts";
export * from "./callback.ts";
export * from "./id-token.ts";
export * from "./mailbox-tokens.ts";
export * from "./pkce.ts";
export * from "./provider.ts";
export * from "./providers/google.ts";
export * from "./providers/microsoft.ts";
export * from "./providers/oidc.ts";
export * from "./registry.ts";
export * from "./sasl.ts";
export * from "./token-manager.ts";
