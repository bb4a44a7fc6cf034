/**
 * App-only (client-credentials) access for the mailboxes of an instance
 * (`instances[].oauthAppOnly` of `mailreg.config.json`): the app's own access token, asked for with
 * its client secret and cached per provider and scopes, logs in to every mailbox of the tenant
 * (XOAUTH2 with the mailbox's address as user). No owner grants anything and no refresh token exists.
 *
 * Such a mailbox is registered like any OAuth mailbox (auth method `oauth2`, registration file
 * format unchanged); its sealed profile holds {@link appOnlyProfileAuth} instead of an owner's grant.
 *
 * @module
 */
import { type ConnectionProfile, MailregError } from "@mailreg/core";
import type { OAuthProvider } from "./provider.ts";
import type { TokenManager } from "./token-manager.ts";

type _Auth = ConnectionProfile["auth"];

/**
 * What the sealed profile of an app-only mailbox holds where an owner's refresh token would be: not
 * a secret, only a marker that no owner grant exists.
 */
export const APP_ONLY_REFRESH_TOKEN = "app-only:no-owner-grant";

/** An instance's app-only setting, as the config names it (`instances[].oauthAppOnly`). */
export interface AppOnlySettings {
  /** The id in `oauth.providers` of the app that holds the tenant's permission. */
  provider: string;
  /** Scopes to ask for; omitted: the provider's app-only default. */
  scopes?: readonly string[] | undefined;
}

/** What {@link appAccessToken} needs. */
export interface AppAccessTokenOptions {
  /** The instance's `oauthAppOnly`. */
  appOnly: AppOnlySettings;
  /** The providers by config id (`createOAuthProviders(config.oauth.providers)`), made once and kept. */
  providers: ReadonlyMap<string, Pick<OAuthProvider, "requestClientCredentials">>;
  /** The process's one token cache. */
  tokenManager: TokenManager;
}

/**
 * The auth part of the connection profile of a mailbox collected with app-only access.
 *
 * @param provider the id in `oauth.providers` of the instance's app-only provider
 * @returns `{ method: "oauth2", provider, refreshToken: APP_ONLY_REFRESH_TOKEN }`
 * @example
 * ```ts
 * import { appOnlyProfileAuth } from "@mailreg/oauth";
 * const profile = {
 *   v: 1 as const,
 *   address: "ann@contoso.com",
 *   protocol: "imap" as const,
 *   host: "outlook.office365.com",
 *   port: 993,
 *   security: "tls" as const,
 *   login: "ann@contoso.com",
 *   auth: appOnlyProfileAuth("contoso"),
 * };
 * console.log(profile.auth.method); // oauth2
 * ```
 */
export function appOnlyProfileAuth(provider: string): Extract<_Auth, { method: "oauth2" }> {
  return { method: "oauth2", provider, refreshToken: APP_ONLY_REFRESH_TOKEN };
}

/**
 * Whether a profile's auth says "app-only, no owner grant".
 *
 * @param auth the opened profile's auth
 * @returns true for {@link appOnlyProfileAuth}'s shape
 */
export function isAppOnlyProfileAuth(auth: _Auth): boolean {
  return auth.method === "oauth2" && auth.refreshToken === APP_ONLY_REFRESH_TOKEN;
}

/**
 * The app-only access token of an instance's app (cached; asked for again shortly before expiry,
 * once at a time).
 *
 * @param options the instance's setting, the providers and the token cache
 * @returns the access token, for XOAUTH2 / OAUTHBEARER with the mailbox's login as user
 * @throws MailregError CONFIG_INVALID when the provider is not in the config (details.provider) or
 *   offers no app-only access; OAUTH_INVALID_CLIENT when the app's credentials or the tenant's
 *   permission are refused; OAUTH_REQUEST, OAUTH_UNEXPECTED_RESPONSE, OAUTH_UNREACHABLE otherwise
 * @example
 * ```ts ignore
 * import { appAccessToken, createOAuthProviders, TokenManager } from "@mailreg/oauth";
 * const providers = createOAuthProviders(config.oauth.providers); // once
 * const tokenManager = new TokenManager(); // once
 * const accessToken = await appAccessToken({ appOnly: instance.oauthAppOnly, providers, tokenManager });
 * ```
 */
export async function appAccessToken(options: AppAccessTokenOptions): Promise<string> {
  const { provider: id, scopes } = options.appOnly;
  const provider = options.providers.get(id);
  if (provider === undefined) {
    const message = `The app-only OAuth provider ${JSON.stringify(id)} is not in oauth.providers`;
    throw new MailregError("CONFIG_INVALID", message, { details: { provider: id } });
  }
  return await options.tokenManager.getAppAccessToken(id, { provider, scopes });
}
