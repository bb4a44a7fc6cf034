/** @jsxImportSource hono/jsx */
/**
 * Instances and server templates, as the config describes them (read-only).
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { AdminFrame, type AdminPageBase } from "./admin-frame.tsx";

/**
 * The configuration page.
 *
 * @param p the config
 * @returns the page
 */
export function ConfigPage(p: AdminPageBase & { config: Config }) {
  const { t, config } = p;
  const yes = (b: boolean) => (b ? "✓" : "–");
  return (
    <AdminFrame {...p} heading={t("admin.nav.config")}>
      <p class="muted">{t("admin.config.readonly")}</p>
      <h2>{t("admin.config.instances")}</h2>
      {config.instances.length === 0 ? (
        <p class="card muted">{t("admin.config.none")}</p>
      ) : (
        <div class="card" style="padding:0">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.config.id")}</th>
                <th scope="col">{t("admin.config.label")}</th>
                <th scope="col">{t("admin.config.folders")}</th>
                <th scope="col">{t("admin.config.interval")}</th>
                <th scope="col">{t("admin.config.deleteAfterFetch")}</th>
              </tr>
            </thead>
            <tbody>
              {config.instances.map((i) => (
                <tr>
                  <td>
                    <code>{i.id}</code>
                  </td>
                  <td>{i.label}</td>
                  <td>{i.folderPolicy.mode}</td>
                  <td class="num">{i.schedule.autoFetch ? i.schedule.intervalSeconds : "–"}</td>
                  <td>{yes(i.deleteAfterFetch)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("admin.config.templates")}</h2>
      {config.servers.length === 0 ? (
        <p class="card muted">{t("admin.config.none")}</p>
      ) : (
        <div class="card" style="padding:0">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.config.id")}</th>
                <th scope="col">{t("admin.config.label")}</th>
                <th scope="col">{t("admin.config.server")}</th>
                <th scope="col">{t("admin.config.tls")}</th>
                <th scope="col">SMTP</th>
                <th scope="col">{t("admin.config.offered")}</th>
              </tr>
            </thead>
            <tbody>
              {config.servers.map((s) => (
                <tr>
                  <td>
                    <code>{s.id}</code>
                  </td>
                  <td>{s.label}</td>
                  <td>
                    {s.protocol} {s.host}:{s.port} ({s.security})
                  </td>
                  <td>
                    {s.tls.verify
                      ? `${t("admin.config.verify")}${s.tls.servername === undefined ? "" : ` (${s.tls.servername})`}`
                      : t("admin.config.noVerify")}
                  </td>
                  <td>{s.smtp === undefined ? "–" : `${s.smtp.host}:${s.smtp.port}`}</td>
                  <td>{yes(config.registration.templates.includes(s.id))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminFrame>
  );
}
