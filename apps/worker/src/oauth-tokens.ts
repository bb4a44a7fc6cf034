/**
 * Access tokens of OAuth mailboxes for collecting and sending, one cache per worker process:
 * `@mailreg/oauth` refreshes (or reuses) them; a rotated refresh token is re-sealed with the
 * registry public key and stored before the new access token is used; `invalid_grant` marks the
 * mailbox "must grant again" (the error is rethrown, so the run records it and backs off), and a
 * token that works again marks it "granted".
 *
 * App-only access (`instances[].oauthAppOnly`): every OAuth mailbox of such an instance logs in with
 * the app's own client-credentials token (cached per provider and scopes, shared by all of them), so
 * no owner grant is asked for or refreshed, and an owner's stored refresh token stays unused. A
 * refused app (`OAUTH_INVALID_CLIENT`: wrong secret, or the tenant withdrew its consent) is the
 * administrator's to fix: it fails the run but marks no owner "must grant again".
 *
 * @module
 */
import { type Config, type ConnectionProfile, isMailregError, MailregError } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import {
  type AppOnlySettings,
  appAccessToken,
  createOAuthProviders,
  isAppOnlyProfileAuth,
  mailboxAccessToken,
  type OAuthProvider,
  TokenManager,
} from "@mailreg/oauth";
import { getGrantState, type Mailbox, replaceSealed, type Store, setGrantState } from "@mailreg/store";

/** What {@link oauthAccessTokens} needs. */
export interface OAuthTokensOptions {
  config: Config;
  store: Store;
  /** Its public key re-seals a profile whose refresh token was rotated. */
  keyring: Keyring;
  /** The providers by config id; default `createOAuthProviders(config.oauth.providers)`. */
  providers?: ReadonlyMap<string, Pick<OAuthProvider, "refreshAccessToken" | "requestClientCredentials">>;
  /** The access-token cache; default a new one. */
  tokenManager?: TokenManager;
}

/**
 * The worker's source of access tokens (`WorkerDeps.accessToken`); make one per process.
 *
 * @param options config, store, keys, and optionally the providers and the cache
 * @returns `(profile, mailbox) => access token`
 * @throws {MailregError} (from the returned function) INTERNAL without the mailbox; OAUTH_INVALID_GRANT after marking the mailbox
 *   "must grant again", OAUTH_INVALID_CLIENT when an app-only app is refused, other OAUTH_* codes,
 *   CONFIG_INVALID when its provider left the config or an app-only mailbox's instance has no app
 * @example
 * ```ts ignore
 * const accessToken = oauthAccessTokens({ config, store, keyring });
 * const worker = createWorker({ config, store, keyring, accessToken });
 * ```
 */
export function oauthAccessTokens(
  options: OAuthTokensOptions,
): (profile: ConnectionProfile, mailbox?: Mailbox) => Promise<string> {
  const { store, keyring } = options;
  const providers = options.providers ?? createOAuthProviders(options.config.oauth.providers);
  const tokenManager = options.tokenManager ?? new TokenManager();
  return async (profile, mailbox) => {
    if (mailbox === undefined) {
      throw new MailregError("INTERNAL", "An OAuth access token was asked for without its mailbox");
    }
    const appOnly = _appOnlyOf(options.config, mailbox, profile);
    if (appOnly !== undefined) return await appAccessToken({ appOnly, providers, tokenManager });
    let token: string;
    try {
      token = await mailboxAccessToken({
        profile,
        providers,
        tokenManager,
        mailboxKey: mailbox.id,
        saveRefreshToken: (rotated) => _saveRotated(store, keyring, mailbox, profile, rotated),
      });
    } catch (error) {
      if (isMailregError(error, "OAUTH_INVALID_GRANT")) {
        const why = error.details?.error_description;
        await setGrantState(store, mailbox.id, "must-grant-again", typeof why === "string" ? why : undefined);
      }
      throw error;
    }
    if ((await getGrantState(store, mailbox.id)).state !== "granted") {
      await setGrantState(store, mailbox.id, "granted");
    }
    return token;
  };
}

/**
 * The app-only setting that applies to an OAuth mailbox: its instance's. A profile registered as
 * app-only (no owner grant in it) on an instance without one cannot log in at all.
 */
function _appOnlyOf(
  config: Config,
  mailbox: Mailbox,
  profile: ConnectionProfile,
): AppOnlySettings | undefined {
  if (profile.auth.method !== "oauth2") return undefined;
  const setting = config.instances.find((i) => i.id === mailbox.instanceId)?.oauthAppOnly;
  if (setting !== undefined) return setting;
  if (isAppOnlyProfileAuth(profile.auth)) {
    const message = `Mailbox ${mailbox.address} is registered for app-only OAuth access, but instance ${JSON.stringify(mailbox.instanceId)} has no oauthAppOnly`;
    throw new MailregError("CONFIG_INVALID", message, {
      details: { path: `instances.${mailbox.instanceId}.oauthAppOnly` },
    });
  }
  return undefined;
}

/** Re-seals the profile with the rotated refresh token, replacing the stored one if it is unchanged. */
async function _saveRotated(
  store: Store,
  keyring: Keyring,
  mailbox: Mailbox,
  profile: ConnectionProfile,
  refreshToken: string,
): Promise<void> {
  if (profile.auth.method !== "oauth2") return;
  const next: ConnectionProfile = { ...profile, auth: { ...profile.auth, refreshToken } };
  const sealed = await seal(next, keyring.publicKey, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  // false: a new registration was applied meanwhile, and its grant wins over this rotation
  await replaceSealed(store, "mailboxes", mailbox.id, {
    keyId: keyring.publicKey.kid,
    sealed,
    previous: mailbox.sealed,
  });
}
