/**
 * The access token of an OAuth mailbox, for whoever logs in to its server (the worker's IMAP, POP3
 * and SMTP connections, the admin's "check"): the profile names the provider and holds the refresh
 * token; the {@link TokenManager} caches, refreshes once per mailbox and hands over rotations.
 *
 * @module
 */
import { type ConnectionProfile, MailregError } from "@mailreg/core";
import type { OAuthProvider } from "./provider.ts";
import type { TokenManager } from "./token-manager.ts";

/** What {@link mailboxAccessToken} needs. */
export interface MailboxAccessTokenOptions {
  /** The mailbox's opened connection profile; its `auth` must be `{ method: "oauth2", provider, refreshToken }`. */
  profile: ConnectionProfile;
  /** The providers by config id (`createOAuthProviders(config.oauth.providers)`), made once and kept. */
  providers: ReadonlyMap<string, Pick<OAuthProvider, "refreshAccessToken">>;
  /** The process's one token cache. */
  tokenManager: TokenManager;
  /** The cache key: the mailbox's id. */
  mailboxKey: string;
  /**
   * Stores a rotated refresh token: re-seal the profile with it and replace the stored sealed value.
   * Awaited before the new access token is handed out; if it throws, nothing is handed out.
   */
  saveRefreshToken: (refreshToken: string) => Promise<void> | void;
}

/**
 * A fresh (or still valid cached) access token for an OAuth mailbox.
 *
 * @param options the opened profile, the providers, the token cache, the mailbox's id and where a
 *   rotated refresh token goes
 * @returns the access token, for XOAUTH2 / OAUTHBEARER as `profile.login`
 * @throws MailregError VALIDATION when the profile is not an OAuth profile; CONFIG_INVALID when its
 *   provider is no longer in the config (details.provider); OAUTH_INVALID_GRANT when the owner must
 *   grant permission again (record it: `setGrantState(store, id, "must-grant-again")` of
 *   `@mailreg/store`); OAUTH_REQUEST, OAUTH_UNEXPECTED_RESPONSE, OAUTH_UNREACHABLE otherwise
 * @example
 * ```ts ignore
 * import { createOAuthProviders, mailboxAccessToken, TokenManager } from "@mailreg/oauth";
 * const providers = createOAuthProviders(config.oauth.providers); // once
 * const tokenManager = new TokenManager(); // once
 * const accessToken = await mailboxAccessToken({
 *   profile, // opened from mailbox.sealed
 *   providers,
 *   tokenManager,
 *   mailboxKey: mailbox.id,
 *   saveRefreshToken: (rotated) => resealAndStore(mailbox, profile, rotated),
 * });
 * ```
 */
export async function mailboxAccessToken(options: MailboxAccessTokenOptions): Promise<string> {
  const { auth } = options.profile;
  if (auth.method !== "oauth2") {
    throw new MailregError("VALIDATION", "The mailbox does not sign in with OAuth", {
      details: { field: "auth.method", method: auth.method },
    });
  }
  const provider = options.providers.get(auth.provider);
  if (provider === undefined) {
    const message = `The mailbox's OAuth provider ${JSON.stringify(auth.provider)} is not in oauth.providers`;
    throw new MailregError("CONFIG_INVALID", message, { details: { provider: auth.provider } });
  }
  return await options.tokenManager.getAccessToken(options.mailboxKey, {
    refreshToken: auth.refreshToken,
    provider,
    saveRefreshToken: options.saveRefreshToken,
  });
}
