/** @jsxImportSource hono/jsx */
/**
 * The audit log, newest first.
 *
 * @module
 */
import type { AuditEntry } from "@mailreg/store";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase } from "./admin-frame.tsx";

/**
 * The audit page.
 *
 * @param p the entries and the cursor of older ones
 * @returns the page
 */
export function AuditPage(
  p: AdminPageBase & { entries: AuditEntry[]; before: number | undefined; timeZone: string },
) {
  const { t } = p;
  return (
    <AdminFrame {...p} heading={t("admin.nav.audit")}>
      {p.entries.length === 0 ? (
        <p class="card muted">{t("admin.audit.none")}</p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="audit">
            <thead>
              <tr>
                <th scope="col">{t("admin.audit.time")}</th>
                <th scope="col">{t("admin.audit.actor")}</th>
                <th scope="col">{t("admin.audit.action")}</th>
                <th scope="col">{t("admin.audit.subject")}</th>
                <th scope="col">{t("admin.audit.details")}</th>
              </tr>
            </thead>
            <tbody>
              {p.entries.map((e) => (
                <tr>
                  <td>
                    <time datetime={e.at}>{formatTime(e.at, p.locale, p.timeZone)}</time>
                  </td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.subjectType}
                    {e.subjectId === null ? null : <div class="muted">{e.subjectId}</div>}
                  </td>
                  <td>
                    <pre>{Object.keys(e.details).length === 0 ? "" : JSON.stringify(e.details)}</pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.before === undefined ? null : (
        <p>
          <a href={link(`/admin/audit?before=${p.before}`)}>{t("admin.audit.older")}</a>
        </p>
      )}
    </AdminFrame>
  );
}
