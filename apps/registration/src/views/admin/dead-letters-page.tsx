/** @jsxImportSource hono/jsx */
/**
 * The dead-letters page: the events a sink gave up on, newest first, each with a "retry" button.
 *
 * @module
 */
import type { DeadLetterView } from "../../admin/dead-letter-view.ts";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase, Csrf } from "./admin-frame.tsx";

/**
 * The dead-letters page.
 *
 * @param p the dead letters
 * @returns the page
 */
export function DeadLettersPage(p: AdminPageBase & { letters: DeadLetterView[]; timeZone: string }) {
  const { t } = p;
  return (
    <AdminFrame {...p} heading={t("admin.nav.deadLetters")}>
      <p class="muted">{t("admin.dl.intro")}</p>
      {p.letters.length === 0 ? (
        <p class="card muted">{t("admin.dl.none")}</p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="dead-letters">
            <thead>
              <tr>
                <th scope="col">{t("admin.mb.address")}</th>
                <th scope="col">{t("admin.dl.sink")}</th>
                <th scope="col">{t("admin.dl.event")}</th>
                <th scope="col">{t("admin.dl.attempts")}</th>
                <th scope="col">{t("admin.mb.lastError")}</th>
                <th scope="col">{t("admin.dl.created")}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {p.letters.map((d) => (
                <tr>
                  <td>
                    {d.address === null ? (
                      d.mailboxId
                    ) : (
                      <a href={link(`/admin/mailboxes/${d.mailboxId}`)}>{d.address}</a>
                    )}
                  </td>
                  <td>{d.sink}</td>
                  <td>{d.event}</td>
                  <td class="num">{d.attempts}</td>
                  <td>{d.lastError}</td>
                  <td>{formatTime(d.createdAt, p.locale, p.timeZone)}</td>
                  <td>
                    <form method="post" action={link(`/admin/dead-letters/${d.id}/retry`)}>
                      <Csrf session={p.session} />
                      <button type="submit" class="secondary small">
                        {t("admin.dl.retry")}
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
