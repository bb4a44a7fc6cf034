/**
 * What the pages call an OAuth provider: the company's name for Google and Microsoft, else the
 * provider's id in the config.
 *
 * @module
 */

const _NAMES: Record<string, string> = { google: "Google", microsoft: "Microsoft" };

/**
 * The provider's name for people.
 *
 * @param id the provider's id in `oauth.providers`
 * @param kind its kind (`google`, `microsoft`, `oidc`)
 * @returns "Google", "Microsoft", or the id
 */
export function providerName(id: string, kind: string): string {
  return _NAMES[kind] ?? id;
}
