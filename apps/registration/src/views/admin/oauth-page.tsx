/** @jsxImportSource hono/jsx */
/**
 * The OAuth page: the OAuth apps from the config (redirect URI to copy; whether a client secret is
 * set, never the secret) and each OAuth mailbox's grant state with a new grant link for its owner.
 *
 * @module
 */
import type { OAuthAppView, OAuthMailboxView } from "../../admin/oauth-view.ts";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase } from "./admin-frame.tsx";

/**
 * The OAuth page.
 *
 * @param p the apps and the OAuth mailboxes
 * @returns the page
 */
export function OAuthPage(
  p: AdminPageBase & { apps: OAuthAppView[]; mailboxes: OAuthMailboxView[]; timeZone: string },
) {
  const { t } = p;
  return (
    <AdminFrame {...p} heading={t("admin.nav.oauth")}>
      <h2>{t("admin.oauth.apps")}</h2>
      <p class="muted">{t("admin.oauth.apps.hint")}</p>
      {p.apps.length === 0 ? (
        <p class="card muted">{t("admin.config.none")}</p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="oauth-apps">
            <thead>
              <tr>
                <th scope="col">{t("admin.oauth.id")}</th>
                <th scope="col">{t("admin.oauth.kind")}</th>
                <th scope="col">{t("admin.oauth.clientId")}</th>
                <th scope="col">{t("admin.oauth.redirectUri")}</th>
                <th scope="col">{t("admin.oauth.secret")}</th>
                <th scope="col">{t("admin.oauth.server")}</th>
              </tr>
            </thead>
            <tbody>
              {p.apps.map((a) => (
                <tr>
                  <td>
                    <code>{a.id}</code>
                  </td>
                  <td>
                    {a.name}
                    {a.where === undefined ? null : <div class="muted">{a.where}</div>}
                  </td>
                  <td>
                    <code>{a.clientId}</code>
                  </td>
                  <td>
                    <input
                      type="text"
                      readonly
                      value={a.redirectUri}
                      aria-label={t("admin.oauth.redirectUri.copy", { provider: a.name })}
                    />
                    {a.expectedRedirectUri === undefined ? null : (
                      <p class="error-text">
                        {t("admin.oauth.redirectUri.expected", { uri: a.expectedRedirectUri })}
                      </p>
                    )}
                  </td>
                  <td>{t(a.secretSet ? "admin.oauth.secret.set" : "admin.oauth.secret.unset")}</td>
                  <td>
                    {a.templates.length === 0 ? t("admin.oauth.server.none") : a.templates.join(", ")}
                    {a.appOnlyInstances.length === 0 ? null : (
                      <div class="muted">
                        {t("admin.oauth.appOnly.instances", { instances: a.appOnlyInstances.join(", ") })}
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("admin.oauth.mailboxes")}</h2>
      {p.mailboxes.length === 0 ? (
        <p class="card muted">{t("admin.oauth.mailboxes.none")}</p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="oauth-mailboxes">
            <thead>
              <tr>
                <th scope="col">{t("admin.mb.address")}</th>
                <th scope="col">{t("admin.mb.instance")}</th>
                <th scope="col">{t("admin.oauth.kind")}</th>
                <th scope="col">{t("admin.oauth.grant")}</th>
                <th scope="col">{t("admin.oauth.newLink")}</th>
              </tr>
            </thead>
            <tbody>
              {p.mailboxes.map((m) => (
                <tr>
                  <td>{m.address}</td>
                  <td>{m.instanceId}</td>
                  <td>{m.appOnly?.name ?? m.provider?.name ?? "–"}</td>
                  <td>
                    {m.appOnly !== undefined ? (
                      <span class="badge applied">{t("admin.oauth.appOnly")}</span>
                    ) : m.grant.state === "granted" ? (
                      <span class="badge applied">{t("admin.oauth.granted")}</span>
                    ) : (
                      <>
                        <span class="badge rejected">{t("admin.oauth.mustGrantAgain")}</span>
                        {m.grant.since === null ? null : (
                          <div class="muted">
                            {t("admin.oauth.since", {
                              time: formatTime(m.grant.since, p.locale, p.timeZone),
                            })}
                          </div>
                        )}
                        {m.grant.detail === null ? null : <div class="muted">{m.grant.detail}</div>}
                      </>
                    )}
                  </td>
                  <td>
                    {m.appOnly !== undefined ? (
                      <span class="muted">
                        {t("admin.oauth.appOnly.noLink", { provider: m.appOnly.name })}
                      </span>
                    ) : m.grantLink === undefined || m.provider === undefined ? (
                      <span class="muted">{t("admin.oauth.noProvider")}</span>
                    ) : (
                      <details open={m.grant.state === "must-grant-again"}>
                        <summary>{t("admin.oauth.newLink")}</summary>
                        <input
                          type="text"
                          readonly
                          value={m.grantLink}
                          aria-label={t("admin.oauth.newLink.label", { address: m.address })}
                        />
                        <p class="muted">{t("admin.oauth.newLink.hint", { provider: m.provider.name })}</p>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminFrame>
  );
}
