/**
 * An access-token cache per mailbox: refreshes shortly before expiry, never twice at once for the
 * same mailbox, and hands a rotated refresh token to the caller before the new access token.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import type { OAuthProvider } from "./provider.ts";

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
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt - this.#marginMs > this.#now()) return cached.accessToken;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#refresh(key, options).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return await pending;
  }

  /**
   * Drops a mailbox's cached access token (after a new grant, or when the mailbox is removed).
   * @param key the mailbox's id
   */
  forget(key: string): void {
    this.#cache.delete(key);
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
    if (tokens.expiresIn === undefined) this.#cache.delete(key);
    else
      this.#cache.set(key, { accessToken: tokens.accessToken, expiresAt: sentAt + tokens.expiresIn * 1000 });
    return tokens.accessToken;
  }
}
