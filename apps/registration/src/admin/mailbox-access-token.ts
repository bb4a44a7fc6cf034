/**
 * The access token of an applied OAuth mailbox, for the admin's "check": `@mailreg/oauth` refreshes
 * (or reuses) it; a rotated refresh token is re-sealed with the registry public key and stored
 * before the new access token is used; `invalid_grant` marks the mailbox "must grant again".
 *
 * @module
 */
import { type ConnectionProfile, isMailregError } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import { mailboxAccessToken, type OAuthProvider, type TokenManager } from "@mailreg/oauth";
import { type Mailbox, replaceSealed, type Store, setGrantState } from "@mailreg/store";

/** What getting a mailbox's access token needs. */
export interface AccessTokenContext {
  store: Store;
  keyring: Keyring;
  clock: () => Date;
  oauth: ReadonlyMap<string, Pick<OAuthProvider, "refreshAccessToken">>;
  tokens: TokenManager;
}

/**
 * A valid access token for the mailbox.
 *
 * @param ctx store, keys, providers and the token cache
 * @param mailbox the stored mailbox
 * @param profile its opened profile (auth method `oauth2`)
 * @returns the access token
 * @throws {MailregError} OAUTH_INVALID_GRANT (the mailbox is then marked "must grant again"), other
 *   OAUTH_* codes, CONFIG_INVALID when its provider left the config
 */
export async function accessTokenFor(
  ctx: AccessTokenContext,
  mailbox: Mailbox,
  profile: ConnectionProfile,
): Promise<string> {
  try {
    return await mailboxAccessToken({
      profile,
      providers: ctx.oauth,
      tokenManager: ctx.tokens,
      mailboxKey: mailbox.id,
      saveRefreshToken: (rotated) => _saveRotated(ctx, mailbox, profile, rotated),
    });
  } catch (error) {
    if (isMailregError(error, "OAUTH_INVALID_GRANT")) {
      const why = error.details?.error_description;
      await setGrantState(
        ctx.store,
        mailbox.id,
        "must-grant-again",
        typeof why === "string" ? why : undefined,
        ctx.clock(),
      );
    }
    throw error;
  }
}

/** Re-seals the profile with the rotated refresh token, replacing the stored one if it is unchanged. */
async function _saveRotated(
  ctx: AccessTokenContext,
  mailbox: Mailbox,
  profile: ConnectionProfile,
  refreshToken: string,
): Promise<void> {
  if (profile.auth.method !== "oauth2") return;
  const next: ConnectionProfile = { ...profile, auth: { ...profile.auth, refreshToken } };
  const sealed = await seal(next, ctx.keyring.publicKey, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  // false: a new registration was applied meanwhile, and its grant wins over this rotation
  await replaceSealed(ctx.store, "mailboxes", mailbox.id, {
    keyId: ctx.keyring.publicKey.kid,
    sealed,
    previous: mailbox.sealed,
  });
}
