/** @jsxImportSource hono/jsx */
/**
 * One mailbox's page: how its collection stands (last run, status, fetched, last error, next run
 * and why), "check" / "sync now", and how it sends — the SMTP level that won, why each earlier one
 * was passed over, and the warnings, `danger` ones loud.
 *
 * @module
 */
import type { MailboxDetail } from "../../admin/mailbox-view.ts";
import type { SmtpResolutionView } from "../../admin/smtp-resolution.ts";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase, Csrf } from "./admin-frame.tsx";

/** A sent message whose copy to the Sent folder failed. */
export interface SentCopyFailure {
  id: string;
  messageId: string | null;
  sentAt: string | null;
  lastError: string | null;
  errorCode: string | null;
}

/** What the page shows about sending: the resolution, why there is none, or nothing (no resolver). */
export type SmtpShown = SmtpResolutionView | { error: string } | undefined;

/**
 * The mailbox page.
 *
 * @param p the mailbox with its state, its SMTP resolution, the time zone
 * @returns the page
 */
export function MailboxPage(
  p: AdminPageBase & {
    mailbox: MailboxDetail;
    smtp: SmtpShown;
    timeZone: string;
    /** Sent messages whose copy to the Sent folder failed (warnings; the mail itself went out). */
    sentCopyFailures?: readonly SentCopyFailure[];
  },
) {
  const { t, mailbox: m } = p;
  const { state } = m;
  const time = (iso: string | null | undefined) =>
    iso === null || iso === undefined ? t("admin.mb.never") : formatTime(iso, p.locale, p.timeZone);
  return (
    <AdminFrame {...p} heading={m.address}>
      <p class="muted">
        {m.displayName === null ? "" : `${m.displayName} · `}
        {t("admin.mb.instance")} {m.instanceId} · {m.host}:{m.port} ({m.protocol}, {m.security}) · {m.login}
      </p>
      <section class="card" aria-labelledby="collection">
        <h2 id="collection" style="margin-top:0">
          {t("admin.mb.collection")}
        </h2>
        <table id="sync-state">
          <tbody>
            <tr>
              <th scope="row">{t("admin.mb.status")}</th>
              <td>
                <span class={`badge ${state.status === "failed" ? "rejected" : ""}`}>{state.status}</span>
                {state.runningOn === undefined ? null : (
                  <span class="muted"> {t("admin.mb.runningOn", { worker: state.runningOn })}</span>
                )}
              </td>
            </tr>
            <tr>
              <th scope="row">{t("admin.mb.lastRun")}</th>
              <td>
                {time(state.lastRun?.startedAt)}
                {state.lastRun === undefined ? null : (
                  <div class="muted">{t("admin.mb.fetched", { n: state.fetched })}</div>
                )}
              </td>
            </tr>
            <tr>
              <th scope="row">{t("admin.mb.lastError")}</th>
              <td>
                {state.lastError === undefined
                  ? ""
                  : `${time(state.lastError.at)}: ${state.lastError.code} ${state.lastError.message}`}
              </td>
            </tr>
            <tr>
              <th scope="row">{t("admin.mb.nextRun")}</th>
              <td>
                {state.next.at === null ? t("admin.mb.notScheduled") : time(state.next.at)}{" "}
                <span class="muted">({state.next.reason})</span>
              </td>
            </tr>
            <tr>
              <th scope="row">{t("admin.mb.messages")}</th>
              <td>
                {m.sync.messages} ·{" "}
                <a href={link(`/admin/mailboxes/${m.id}/messages`)}>{t("admin.msg.open")}</a>
              </td>
            </tr>
          </tbody>
        </table>
        <form
          method="post"
          action={link(`/admin/mailboxes/${m.id}/check`)}
          class="actions"
          style="margin-top:1rem"
        >
          <Csrf session={p.session} />
          <input type="hidden" name="back" value={p.url.pathname} />
          <button type="submit" class="secondary small">
            {t("admin.mb.check")}
          </button>
          <button type="submit" class="secondary small" formaction={link(`/admin/mailboxes/${m.id}/sync`)}>
            {t("admin.mb.sync")}
          </button>
          <button type="submit" class="secondary small" formaction={link(`/admin/mailboxes/${m.id}/reroute`)}>
            {t("admin.mb.reroute")}
          </button>
        </form>
      </section>
      <section class="card" aria-labelledby="smtp">
        <h2 id="smtp" style="margin-top:0">
          {t("admin.mb.smtp")}
        </h2>
        <Smtp t={t} smtp={p.smtp} />
        {(p.sentCopyFailures ?? []).length === 0 ? null : (
          <div id="sent-copy-failures">
            <p class="notice warn">
              {t("admin.mb.sentCopyFailed", { n: (p.sentCopyFailures ?? []).length })}
            </p>
            <ul>
              {(p.sentCopyFailures ?? []).map((f) => (
                <li data-error-code={f.errorCode}>
                  <code>{f.id}</code> {f.messageId ?? ""} · {time(f.sentAt)} · {f.lastError}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
    </AdminFrame>
  );
}

/** The SMTP part: danger warnings first and loud, then the winner, then what was passed over. */
function Smtp(p: { t: AdminPageBase["t"]; smtp: SmtpShown }) {
  const { t, smtp } = p;
  if (smtp === undefined) return <p class="muted">{t("admin.mb.smtpUnavailable")}</p>;
  if ("error" in smtp) return <p class="notice error">{smtp.error}</p>;
  const warnings = [...smtp.warnings].sort(
    (a, b) => Number(b.severity === "danger") - Number(a.severity === "danger"),
  );
  const e = smtp.effective;
  return (
    <div id="smtp-resolution">
      {warnings.map((w) =>
        w.severity === "danger" ? (
          <p class="notice error" role="alert" data-warning={w.code}>
            <strong>{t("admin.mb.danger")}:</strong> {w.message}
          </p>
        ) : (
          <p class="notice warn" data-warning={w.code}>
            {t("admin.mb.warning")}: {w.message}
          </p>
        ),
      )}
      {e === undefined ? (
        <p class="notice error">{t("admin.mb.smtpNone")}</p>
      ) : (
        <p>
          {t("admin.mb.smtpWon", {
            server: `${e.host}:${e.port}`,
            level: smtp.level ?? "",
            source: smtp.source ?? "",
          })}
          <br />
          <span class="muted">
            {e.security}
            {" · "}
            {e.security === "none"
              ? ""
              : e.tls.verify
                ? t("admin.mb.certChecked", { name: e.tls.servername ?? e.host })
                : t("admin.mb.certNotChecked")}
            {" · "}
            {e.auth.method === "none"
              ? e.auth.method
              : `${e.auth.method} ${e.auth.user ?? ""} (${e.auth.credentials})`}
          </span>
        </p>
      )}
      {smtp.passedOver.length === 0 ? null : (
        <table id="passed-over">
          <caption style="text-align:left;font-weight:600">{t("admin.mb.passedOver")}</caption>
          <tbody>
            {smtp.passedOver.map((o) => (
              <tr>
                <td>
                  {o.level} <span class="muted">({o.source})</span>
                </td>
                <td>
                  <code>{o.reason}</code>
                </td>
                <td>{o.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
