/**
 * What the pages call an OAuth provider: its kind's label from the provider registry ("Google",
 * "Microsoft"), or, for a generic protocol such as OpenID Connect or a kind no longer registered,
 * the provider's id in the config.
 *
 * @module
 */
import { OAUTH_PROVIDERS } from "@mailreg/oauth";

/**
 * The provider's name for people.
 *
 * @param id the provider's id in `oauth.providers`
 * @param kind its kind (a key of `OAUTH_PROVIDERS`)
 * @returns the kind's label, or the id
 */
export function providerName(id: string, kind: string): string {
  const info = OAUTH_PROVIDERS.get(kind);
  return info === undefined || info.generic === true ? id : info.label;
}
