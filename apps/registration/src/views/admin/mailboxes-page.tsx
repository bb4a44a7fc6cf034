/** @jsxImportSource hono/jsx */
/**
 * The mailboxes page: each mailbox with its sync state, and "check" / "sync now".
 *
 * @module
 */
import type { MailboxView } from "../../admin/mailbox-view.ts";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase, Csrf } from "./admin-frame.tsx";

/**
 * The mailboxes page.
 *
 * @param p the mailboxes with their sync state
 * @returns the page
 */
export function MailboxesPage(p: AdminPageBase & { mailboxes: MailboxView[]; timeZone: string }) {
  const { t } = p;
  const time = (iso: string | null | undefined) =>
    iso === null || iso === undefined ? t("admin.mb.never") : formatTime(iso, p.locale, p.timeZone);
  return (
    <AdminFrame {...p} heading={t("admin.nav.mailboxes")}>
      {p.mailboxes.length === 0 ? (
        <p class="card muted">{t("admin.mb.none")}</p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="mailboxes">
            <thead>
              <tr>
                <th scope="col">{t("admin.mb.address")}</th>
                <th scope="col">{t("admin.mb.instance")}</th>
                <th scope="col">{t("admin.mb.server")}</th>
                <th scope="col">{t("admin.mb.lastRun")}</th>
                <th scope="col">{t("admin.mb.messages")}</th>
                <th scope="col">{t("admin.mb.lastError")}</th>
                <th scope="col">
                  <span class="skip">{t("admin.mb.check")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.mailboxes.map((m) => (
                <tr>
                  <td>
                    <a href={link(`/admin/mailboxes/${m.id}`)}>{m.address}</a>
                    {m.displayName === null ? null : <div class="muted">{m.displayName}</div>}
                  </td>
                  <td>{m.instanceId}</td>
                  <td>
                    {m.host}:{m.port}{" "}
                    <span class="muted">
                      ({m.protocol}, {m.security})
                    </span>
                    <div class="muted">{m.login}</div>
                  </td>
                  <td>
                    {time(m.sync.lastRun?.startedAt)}
                    {m.sync.lastRun === undefined ? null : <div class="muted">{m.sync.lastRun.status}</div>}
                  </td>
                  <td class="num">{m.sync.messages}</td>
                  <td>
                    {m.sync.lastError === undefined
                      ? ""
                      : `${time(m.sync.lastError.startedAt)}: ${m.sync.lastError.errorCode ?? ""} ${m.sync.lastError.errorMessage ?? ""}`}
                  </td>
                  <td>
                    <form method="post" action={link(`/admin/mailboxes/${m.id}/check`)} class="actions">
                      <Csrf session={p.session} />
                      <button
                        type="submit"
                        class="secondary small"
                        aria-label={`${t("admin.mb.check")} ${m.address}`}
                      >
                        {t("admin.mb.check")}
                      </button>
                      <button
                        type="submit"
                        class="secondary small"
                        formaction={link(`/admin/mailboxes/${m.id}/sync`)}
                        aria-label={`${t("admin.mb.sync")} ${m.address}`}
                      >
                        {t("admin.mb.sync")}
                      </button>
                    </form>
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
