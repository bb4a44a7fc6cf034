/**
 * What the admin's OAuth page shows: the OAuth apps of the config (never a client secret, only
 * whether one is set) with the redirect URI to copy, and each OAuth mailbox's grant state with a
 * link that lets its owner grant permission again.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { OAUTH_PROVIDERS } from "@mailreg/oauth";
import { listGrantStates, listMailboxes, type MailboxGrant, type Store } from "@mailreg/store";
import { oauthTemplate } from "../oauth/oauth-registration.ts";
import { providerName } from "../views/provider-name.ts";

/** One OAuth app of `oauth.providers`. */
export interface OAuthAppView {
  id: string;
  kind: string;
  /** Google, Microsoft, or the id. */
  name: string;
  clientId: string;
  /** Where the app signs in, as its provider kind says (Microsoft's tenant, an OIDC issuer). */
  where?: string;
  /** The configured redirect URI (to copy into the provider's console). */
  redirectUri: string;
  /** Where this site takes the answer, when the configured redirect URI points elsewhere. */
  expectedRedirectUri?: string;
  secretSet: boolean;
  /** The server templates its sign-ins register with (none: the sign-in is not offered). */
  templates: string[];
  /** The instances whose mailboxes log in with this app's own (app-only) token. */
  appOnlyInstances: string[];
}

/** One mailbox that signs in with OAuth. */
export interface OAuthMailboxView {
  id: string;
  address: string;
  instanceId: string;
  /** The provider its server template names, if it still does. */
  provider?: { id: string; name: string };
  grant: MailboxGrant;
  /** The link that starts a new sign-in for this address, when the provider is known. */
  grantLink?: string;
  /**
   * Its instance's app-only app (`instances[].oauthAppOnly`): the mailbox logs in with that app's own
   * token, no owner grant counts, and there is no grant link to send.
   */
  appOnly?: { id: string; name: string };
}

/**
 * The public origin of the sign-in pages: the configured public URL's, else the redirect URI's.
 *
 * @param config the config
 * @param redirectUri a provider's redirect URI
 * @returns an origin such as `https://reg.example.org`
 */
export function signInOrigin(config: Config, redirectUri: string): string {
  return new URL(config.server.publicUrl ?? redirectUri).origin;
}

/**
 * The OAuth apps of the config.
 *
 * @param config the config
 * @param base the prefix the app is served under ("" at the root)
 * @returns one view per provider, in config order
 */
export function oauthApps(config: Config, base = ""): OAuthAppView[] {
  return Object.entries(config.oauth.providers).map(([id, p]) => {
    const expected = `${signInOrigin(config, p.redirectUri)}${base}/register/oauth/${id}/callback`;
    const configured = new URL(p.redirectUri);
    const where = OAUTH_PROVIDERS.get(p.kind)?.where?.(p);
    return {
      id,
      kind: p.kind,
      name: providerName(id, p.kind),
      clientId: p.clientId,
      ...(where === undefined ? {} : { where }),
      redirectUri: p.redirectUri,
      ...(`${configured.origin}${configured.pathname}` === expected ? {} : { expectedRedirectUri: expected }),
      secretSet: p.clientSecret !== undefined,
      templates: config.servers.filter((s) => s.oauthProvider === id).map((s) => s.id),
      appOnlyInstances: config.instances.filter((i) => i.oauthAppOnly?.provider === id).map((i) => i.id),
    };
  });
}

/**
 * The mailboxes that sign in with OAuth, with their grant state and a new grant link.
 *
 * @param config the config (providers and server templates)
 * @param store the open store
 * @param base the prefix the app is served under ("" at the root)
 * @returns one view per OAuth mailbox, by address
 */
export async function oauthMailboxes(config: Config, store: Store, base = ""): Promise<OAuthMailboxView[]> {
  const grants = await listGrantStates(store);
  const byId = new Map((await listMailboxes(store)).map((m) => [m.id, m]));
  return grants.flatMap((grant) => {
    const mailbox = byId.get(grant.mailboxId);
    if (mailbox === undefined) return [];
    const view: OAuthMailboxView = {
      id: mailbox.id,
      address: mailbox.address,
      instanceId: mailbox.instanceId,
      grant,
    };
    const appOnly = config.instances.find((i) => i.id === mailbox.instanceId)?.oauthAppOnly?.provider;
    if (appOnly !== undefined) {
      const app = config.oauth.providers[appOnly];
      view.appOnly = { id: appOnly, name: app === undefined ? appOnly : providerName(appOnly, app.kind) };
      return [view];
    }
    const id = config.servers.find((s) => s.id === mailbox.template)?.oauthProvider;
    const provider = id === undefined ? undefined : config.oauth.providers[id];
    if (id !== undefined && provider !== undefined && oauthTemplate(config, id) !== undefined) {
      view.provider = { id, name: providerName(id, provider.kind) };
      const link = new URL(`${base}/register/oauth/${id}/start`, signInOrigin(config, provider.redirectUri));
      link.searchParams.set("login_hint", mailbox.address);
      view.grantLink = link.href;
    }
    return [view];
  });
}
