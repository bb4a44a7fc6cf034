/**
 * Microsoft 365 / Outlook.com: IMAP, POP3 and SMTP with XOAUTH2 through the Microsoft identity
 * platform (v2.0 endpoints) of one tenant: `common` (default), `organizations`, `consumers`, a
 * tenant id (GUID) or a tenant's domain.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import type { JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { _authorizationURL, _clientCredentials, _exchangeCode, _refresh } from "../_client.ts";
import { _clientFrom, _invalidSetting, _remoteKeys, _scopes } from "../_common.ts";
import { verifyIdToken } from "../id-token.ts";
import { defineProvider, type OAuthProviderConnector } from "../provider.ts";

const _LOGIN = "https://login.microsoftonline.com";
/** The tenant of personal Microsoft accounts. */
const _CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad";
const _TENANT = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;
const _GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The scopes asked for when the config names none: IMAP, POP and SMTP, a refresh token, who signed in. */
export const MICROSOFT_MAIL_SCOPES: readonly string[] = [
  "https://outlook.office.com/IMAP.AccessAsUser.All",
  "https://outlook.office.com/POP.AccessAsUser.All",
  "https://outlook.office.com/SMTP.Send",
  "offline_access",
  "openid",
  "email",
];

/**
 * The scope of app-only (client-credentials) access to Exchange Online: every application
 * permission the tenant granted the app (`IMAP.AccessAsApp`, `POP.AccessAsApp`, `SMTP.SendAsApp`).
 */
export const MICROSOFT_APP_ONLY_SCOPES: readonly string[] = ["https://outlook.office365.com/.default"];

/** Tenants that name no single directory: no app-only token is issued for them. */
const _MULTI_TENANT = ["common", "organizations", "consumers"];

/**
 * Makes the Microsoft provider (`kind: "microsoft"`).
 *
 * ID tokens are checked against the tenant's issuer: exactly, for a tenant id or `consumers`; for
 * `common`, `organizations` or a domain, against `https://login.microsoftonline.com/{tenantid}/v2.0`
 * with the token's own `tid` (and `organizations` refuses personal accounts). Give the tenant id to
 * pin one tenant. Microsoft offers no token revocation endpoint, so there is no `revokeToken`.
 *
 * App-only access (`requestClientCredentials`) asks the tenant's token endpoint for
 * {@link MICROSOFT_APP_ONLY_SCOPES} with the client secret; it needs a tenant id or domain (not
 * `common`, `organizations` or `consumers`) whose administrator granted the app the
 * `IMAP.AccessAsApp` / `SMTP.SendAsApp` permissions and registered its service principal in Exchange.
 *
 * @param settings client id, client secret, redirect URI, tenant, scopes
 * @param options the fetch to use
 * @returns the provider
 * @example
 * ```ts
 * import { microsoft } from "@mailreg/oauth";
 * const provider = microsoft({
 *   kind: "microsoft",
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   clientSecret: "secret",
 *   redirectUri: "https://reg.example.org/oauth/callback",
 *   tenant: "organizations",
 * });
 * const url = await provider.createAuthorizationURL({ state: "s", codeVerifier: "v".repeat(43), nonce: "n" });
 * console.log(url.pathname); // /organizations/oauth2/v2.0/authorize
 * ```
 */
export const microsoft: OAuthProviderConnector = defineProvider(
  {
    kind: "microsoft",
    label: "Microsoft",
    appOnly: true,
    options: z.strictObject({
      tenant: z
        .string()
        .max(128)
        .regex(_TENANT, "must be common, organizations, consumers, a tenant id or a domain")
        .optional()
        .describe("Directory (tenant) id or domain, or common/organizations/consumers; default common"),
      allowedTenants: z
        .record(
          z.string().regex(_GUID, "must be a tenant id (GUID)"),
          z.array(z.string().min(1).max(253)).min(1),
        )
        .optional()
        .describe(
          "Tenant id (tid) → the address domains that tenant owns (its verified domains, or a mapping): a sign-in's email is trusted only for these; without it no Microsoft sign-in registers",
        ),
    }),
    where: (options) => (typeof options.tenant === "string" ? options.tenant : "common"),
  },
  (settings, options = {}) => {
    const client = _clientFrom(settings, options, "post");
    const scopes = _scopes(settings, MICROSOFT_MAIL_SCOPES);
    const tenant = settings.tenant ?? "common";
    if (!_TENANT.test(tenant)) {
      _invalidSetting(
        settings,
        "tenant",
        "must be common, organizations, consumers, a tenant id or a domain",
      );
    }
    const base = `${_LOGIN}/${tenant}`;
    const tokenEndpoint = `${base}/oauth2/v2.0/token`;
    const pinned = _GUID.test(tenant) ? tenant : tenant === "consumers" ? _CONSUMERS_TENANT_ID : "{tenantid}";
    const issuer = `${_LOGIN}/${pinned}/v2.0`;
    let keys: JWTVerifyGetKey | undefined;
    return {
      kind: "microsoft",
      redirectUri: client.redirectUri,
      async createAuthorizationURL(request) {
        const url = await _authorizationURL(
          `${base}/oauth2/v2.0/authorize`,
          client,
          request,
          request.scopes ?? scopes,
        );
        url.searchParams.set("response_mode", "query");
        return url;
      },
      validateAuthorizationCode: (code, codeVerifier) =>
        _exchangeCode(tokenEndpoint, client, code, codeVerifier),
      // Microsoft wants the scopes again on a refresh; it rotates the refresh token every time
      refreshAccessToken: (refreshToken) => _refresh(tokenEndpoint, client, refreshToken, scopes),
      async requestClientCredentials(appScopes = MICROSOFT_APP_ONLY_SCOPES) {
        if (_MULTI_TENANT.includes(tenant)) {
          _invalidSetting(settings, "tenant", "must be a tenant id or domain for app-only access");
        }
        return await _clientCredentials(tokenEndpoint, client, appScopes);
      },
      async verifyIdToken(idToken, { nonce }) {
        keys ??= _remoteKeys(`${base}/discovery/v2.0/keys`, client.fetch);
        const identity = await verifyIdToken(idToken, { issuer, clientId: client.clientId, nonce, keys });
        if (tenant === "organizations" && identity.tenantId === _CONSUMERS_TENANT_ID) {
          throw new MailregError(
            "OAUTH_ID_TOKEN_INVALID",
            "A personal Microsoft account cannot sign in here",
            {
              details: { reason: "claim", claim: "tid" },
            },
          );
        }
        return identity;
      },
    };
  },
);
