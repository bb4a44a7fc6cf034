/**
 * Access tokens of OAuth mailboxes for collecting and sending, one cache per worker process:
 * `@mailreg/oauth` refreshes (or reuses) them; a rotated refresh token is re-sealed with the
 * registry public key and stored before the new access token is used; `invalid_grant` marks the
 * mailbox "must grant again" (the error is rethrown, so the run records it and backs off), and a
 * token that works again marks it "granted".
 *
 * @module
 */
import { type Config, type ConnectionProfile, isMailregError, MailregError } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import { createOAuthProviders, mailboxAccessToken, type OAuthProvider, TokenManager } from "@mailreg/oauth";
import { getGrantState, type Mailbox, replaceSealed, type Store, setGrantState } from "@mailreg/store";

/** What {@link oauthAccessTokens} needs. */
export interface OAuthTokensOptions {
  config: Config;
  store: Store;
  /** Its public key re-seals a profile whose refresh token was rotated. */
  keyring: Keyring;
  /** The providers by config id; default `createOAuthProviders(config.oauth.providers)`. */
  providers?: ReadonlyMap<string, Pick<OAuthProvider, "refreshAccessToken">>;
  /** The access-token cache; default a new one. */
  tokenManager?: TokenManager;
}

/**
 * The worker's source of access tokens (`WorkerDeps.accessToken`); make one per process.
 *
 * @param options config, store, keys, and optionally the providers and the cache
 * @returns `(profile, mailbox) => access token`
 * @throws {MailregError} (from the returned function) INTERNAL without the mailbox; OAUTH_INVALID_GRANT after marking the mailbox
 *   "must grant again", other OAUTH_* codes, CONFIG_INVALID when its provider left the config
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
