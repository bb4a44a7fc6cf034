/**
 * The OAuth providers by kind. Adding one is a new file in `providers/` exporting an
 * {@link OAuthProviderConnector} (see `defineProvider`) and one line here; config validation
 * (`oauth.providers.<id>` and its own options), the admin's OAuth page and the sign-in buttons ask
 * this Map.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import type {
  OAuthProvider,
  OAuthProviderConnector,
  OAuthProviderOptions,
  OAuthProviderSettings,
} from "./provider.ts";
import { google } from "./providers/google.ts";
import { microsoft } from "./providers/microsoft.ts";
import { oidc } from "./providers/oidc.ts";

/** Every provider kind and its factory. */
export const OAUTH_PROVIDERS: ReadonlyMap<string, OAuthProviderConnector> = new Map<
  string,
  OAuthProviderConnector
>([
  ["google", google],
  ["microsoft", microsoft],
  ["oidc", oidc],
]);

/**
 * Makes the provider a config entry names (`oauth.providers.<id>` of `mailreg.config.json`).
 * Make it once per entry and keep it: it caches discovery documents and signing keys.
 *
 * @param settings the entry: kind, client id, secret, redirect URI, tenant or issuer, scopes
 * @param options the fetch to use
 * @returns the provider
 * @throws MailregError CONFIG_INVALID for an unknown kind or a setting the kind cannot use
 * @example
 * ```ts
 * import { createOAuthProvider } from "@mailreg/oauth";
 * const provider = createOAuthProvider({
 *   kind: "microsoft",
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   redirectUri: "https://reg.example.org/oauth/callback",
 *   tenant: "common",
 * });
 * console.log(provider.kind); // microsoft
 * ```
 */
export function createOAuthProvider(
  settings: OAuthProviderSettings,
  options?: OAuthProviderOptions,
): OAuthProvider {
  const factory = OAUTH_PROVIDERS.get(settings.kind);
  if (factory === undefined) {
    throw new MailregError(
      "CONFIG_INVALID",
      `There is no OAuth provider of kind ${JSON.stringify(settings.kind)}`,
      {
        details: { kind: settings.kind, known: [...OAUTH_PROVIDERS.keys()] },
      },
    );
  }
  return factory(settings, options);
}

/**
 * Makes one provider per entry of `oauth.providers` (the config's id → provider). Make it once and
 * keep it: the providers cache discovery documents and signing keys.
 *
 * @param entries `config.oauth.providers`
 * @param options the fetch to use
 * @returns the providers by config id
 * @throws MailregError CONFIG_INVALID as {@link createOAuthProvider}
 * @example
 * ```ts
 * import { createOAuthProviders } from "@mailreg/oauth";
 * const providers = createOAuthProviders({
 *   corp: { kind: "oidc", issuer: "https://id.example.org", clientId: "mailreg", redirectUri: "https://reg.example.org/cb" },
 * });
 * console.log(providers.get("corp")?.kind); // oidc
 * ```
 */
export function createOAuthProviders(
  entries: Readonly<Record<string, OAuthProviderSettings>>,
  options?: OAuthProviderOptions,
): Map<string, OAuthProvider> {
  return new Map(
    Object.entries(entries).map(([id, settings]) => [id, createOAuthProvider(settings, options)]),
  );
}
