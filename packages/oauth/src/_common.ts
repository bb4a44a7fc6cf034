// What every provider file does with its settings: the client, the scopes, the issuer's keys.
import { MailregError } from "@mailreg/core";
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import type { _Client } from "./_client.ts";
import type { OAuthProviderOptions, OAuthProviderSettings } from "./provider.ts";

/**
 * The client of a provider, after checking the settings every provider needs.
 * @param settings the provider's settings
 * @param options the fetch to use
 * @param clientAuth how the client authenticates at the token endpoint
 * @returns the client
 */
export function _clientFrom(
  settings: OAuthProviderSettings,
  options: OAuthProviderOptions,
  clientAuth: _Client["clientAuth"],
): _Client {
  if (settings.clientId === "") _invalidSetting(settings, "clientId", "must not be empty");
  if (!URL.canParse(settings.redirectUri) || !/^https?:$/.test(new URL(settings.redirectUri).protocol)) {
    _invalidSetting(settings, "redirectUri", "must be an absolute http(s) URL");
  }
  return {
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri: settings.redirectUri,
    clientAuth,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  };
}

/**
 * The configured scopes, or the provider's defaults when none are configured.
 * @param settings the provider's settings
 * @param defaults the provider's default mail scopes
 * @returns the scopes
 */
export function _scopes(settings: OAuthProviderSettings, defaults: readonly string[]): readonly string[] {
  return settings.scopes !== undefined && settings.scopes.length > 0 ? settings.scopes : defaults;
}

/**
 * The issuer's signing keys, fetched on first use and cached (jose refetches on an unknown `kid`).
 * @param jwksUri the JWKS URL
 * @param fetchFn the fetch to use
 * @returns the key getter for jose
 */
export function _remoteKeys(jwksUri: string, fetchFn: typeof fetch): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), { [customFetch]: fetchFn });
}

/**
 * Throws CONFIG_INVALID for one setting.
 * @param settings the provider's settings (only its kind is reported)
 * @param field the setting's name
 * @param problem what is wrong
 */
export function _invalidSetting(settings: OAuthProviderSettings, field: string, problem: string): never {
  throw new MailregError("CONFIG_INVALID", `The ${settings.kind} OAuth provider's ${field} ${problem}`, {
    details: { kind: settings.kind, field },
  });
}
