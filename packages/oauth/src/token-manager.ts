/**
 * An access-token cache per mailbox: refreshes shortly before expiry, never twice at once for the
 * same mailbox, and hands a rotated refresh token to the caller before the new access token. App-only
 * (client-credentials) tokens are cached the same way, per provider and scopes.
 *
 * @module
 */
import { isMailregError, MailregError } from "@mailreg/core";
import type { OAuthProvider, OAuthTokens } from "./provider.ts";

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  /** A cached token is used only while it stays valid this many more seconds; default 60. */
  marginSeconds?: number;
  /** The clock in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

/** What {@link TokenManager.getAccessToken} needs to refresh. */
export interface GetAccessTokenOptions {
  /** The mailbox's current refresh token (opened from its sealed profile). */
  refreshToken: string;
  /** The provider that issued it. */
  provider: Pick<OAuthProvider, "refreshAccessToken">;
  /**
   * Stores a rotated refresh token (re-seal and save it). Awaited before the new access token is
   * handed out; if it throws, that error is thrown and the new access token is not cached.
   */
  saveRefreshToken: (refreshToken: string) => Promise<void> | void;
}

/** What {@link TokenManager.getAppAccessToken} needs. */
export interface GetAppAccessTokenOptions {
  /** The provider whose app asks (Microsoft with a tenant, or an OIDC server). */
  provider: Pick<OAuthProvider, "requestClientCredentials">;
  /** The scopes to ask for; omitted: the provider's app-only default. */
  scopes?: readonly string[] | undefined;
}

interface _Entry {
  accessToken: string;
  /** Milliseconds since the epoch, counted from when the refresh was sent. */
  expiresAt: number;
}

/**
 * Caches access tokens by mailbox key.
 *
 * @example
 * ```ts ignore
 * import { createOAuthProvider, TokenManager, xoauth2String } from "@mailreg/oauth";
 * const tokens = new TokenManager();
 * const accessToken = await tokens.getAccessToken(mailbox.id, {
 *   refreshToken: profile.auth.refreshToken,
 *   provider: createOAuthProvider(config.oauth.providers.google),
 *   saveRefreshToken: (rotated) => store.resealRefreshToken(mailbox.id, rotated),
 * });
 * const sasl = xoauth2String(profile.login, accessToken);
 * ```
 */
export class TokenManager {
  readonly #cache = new Map<string, _Entry>();
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #marginMs: number;
  readonly #now: () => number;

  /** @param options margin and clock */
  constructor(options: TokenManagerOptions = {}) {
    this.#marginMs = (options.marginSeconds ?? 60) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * An access token for the mailbox: the cached one while it is valid for at least the margin,
   * else a fresh one. Concurrent calls for the same key share one refresh (and only the first
   * caller's `saveRefreshToken` runs).
   *
   * @param key the mailbox's id
   * @param options refresh token, provider and where a rotated refresh token goes
   * @returns the access token
   * @throws MailregError OAUTH_INVALID_GRANT when the grant was revoked or expired: the owner must
   *   grant permission again (the cache entry is dropped); other OAUTH_* codes as the provider throws
   */
  async getAccessToken(key: string, options: GetAccessTokenOptions): Promise<string> {
    return await this.#get(key, () => this.#refresh(key, options));
  }

  /**
   * An app-only access token (client credentials) for a provider and its scopes: the cached one
   * while it is valid for at least the margin, else a new one. Concurrent calls for the same
   * provider and scopes share one request; a refused request is not cached, so the next call asks again.
   *
   * @param providerId the provider's config id (part of the cache key)
   * @param options the provider and the scopes to ask for (omitted: the provider's app-only default)
   * @returns the access token
   * @throws MailregError CONFIG_INVALID when the provider offers no app-only access;
   *   OAUTH_INVALID_CLIENT when the app's credentials are refused; other OAUTH_* codes
   * @example
   * ```ts ignore
   * const token = await tokens.getAppAccessToken("m365", { provider: providers.get("m365")! });
   * ```
   */
  async getAppAccessToken(providerId: string, options: GetAppAccessTokenOptions): Promise<string> {
    const { provider, scopes } = options;
    const key = `app\u0000${providerId}\u0000${scopes?.join(" ") ?? ""}`;
    return await this.#get(key, async () => {
      if (provider.requestClientCredentials === undefined) {
        const message = `The OAuth provider ${JSON.stringify(providerId)} offers no app-only access`;
        throw new MailregError("CONFIG_INVALID", message, { details: { provider: providerId } });
      }
      const sentAt = this.#now();
      const tokens = await provider.requestClientCredentials(scopes);
      this.#keep(key, tokens, sentAt);
      return tokens.accessToken;
    });
  }

  /**
   * Drops a mailbox's cached access token (after a new grant, or when the mailbox is removed).
   * @param key the mailbox's id
   */
  forget(key: string): void {
    this.#cache.delete(key);
  }

  /** The cached token, else the one `fetchToken` gets (one at a time per key). */
  async #get(key: string, fetchToken: () => Promise<string>): Promise<string> {
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt - this.#marginMs > this.#now()) return cached.accessToken;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = fetchToken().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return await pending;
  }

  /** Caches the tokens' access token until it expires; without a lifetime, not at all. */
  #keep(key: string, tokens: OAuthTokens, sentAt: number): void {
    if (tokens.expiresIn === undefined) this.#cache.delete(key);
    else
      this.#cache.set(key, { accessToken: tokens.accessToken, expiresAt: sentAt + tokens.expiresIn * 1000 });
  }

  async #refresh(key: string, options: GetAccessTokenOptions): Promise<string> {
    const sentAt = this.#now();
    let tokens: Awaited<ReturnType<OAuthProvider["refreshAccessToken"]>>;
    try {
      tokens = await options.provider.refreshAccessToken(options.refreshToken);
    } catch (error) {
      if (isMailregError(error, "OAUTH_INVALID_GRANT")) this.#cache.delete(key);
      throw error;
    }
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== options.refreshToken) {
      await options.saveRefreshToken(tokens.refreshToken);
    }
    // without a lifetime the token is not cached: the next call refreshes again
    this.#keep(key, tokens, sentAt);
    return tokens.accessToken;
  }
}
