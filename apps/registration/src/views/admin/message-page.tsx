/** @jsxImportSource hono/jsx */
/**
 * One collected message: its headers, where it was handed on, its text part or its HTML part made
 * safe (sanitized: no script, no remote content; the page's policy forbids both again), and its
 * attachments to download.
 *
 * @module
 */
import type { MessagePart } from "@mailreg/message";
import type { MessageDetail } from "@mailreg/store";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase } from "./admin-frame.tsx";
import { addressLine, humanSize } from "./messages-page.tsx";

/** What the page shows of the body. */
export type ShownBody =
  | { kind: "html"; safeHtml: string; hasText: boolean }
  | { kind: "text"; text: string; hasHtml: boolean }
  | { kind: "none" }
  | { kind: "purged"; at: string };

/**
 * The message page.
 *
 * @param p the message, its mailbox's address, the body to show and the parts
 * @returns the page
 */
export function MessagePage(
  p: AdminPageBase & {
    message: MessageDetail;
    address: string;
    body: ShownBody;
    parts: MessagePart[];
    timeZone: string;
    /** Each configured sink's kind label by sink id (see `sinkKindLabels`). */
    sinkKinds?: Readonly<Record<string, string>>;
  },
) {
  const { t, message: m, body } = p;
  const env = m.envelope;
  const time = (iso: string) => formatTime(iso, p.locale, p.timeZone);
  const self = link(`/admin/messages/${m.id}`);
  return (
    <AdminFrame {...p} heading={m.subject === "" ? t("admin.msg.noSubject") : m.subject}>
      <p class="muted">
        <a href={link(`/admin/mailboxes/${m.mailboxId}/messages?folder=${encodeURIComponent(m.folder)}`)}>
          {t("admin.msg.back", { address: p.address })}
        </a>
      </p>
      <section class="card">
        <table id="message-headers">
          <tbody>
            <tr>
              <th scope="row">{t("admin.msg.from")}</th>
              <td>{addressLine(env.from)}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.to")}</th>
              <td>{addressLine(env.to)}</td>
            </tr>
            {env.cc.length === 0 ? null : (
              <tr>
                <th scope="row">{t("admin.msg.cc")}</th>
                <td>{addressLine(env.cc)}</td>
              </tr>
            )}
            <tr>
              <th scope="row">{t("admin.msg.subject")}</th>
              <td>{m.subject}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.date")}</th>
              <td>{m.date === null ? "" : time(m.date)}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.received")}</th>
              <td>{time(m.receivedAt)}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.folder")}</th>
              <td>{m.folder}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.size")}</th>
              <td>{humanSize(m.size)}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.flags")}</th>
              <td>{m.flags.join(" ")}</td>
            </tr>
            <tr>
              <th scope="row">{t("admin.msg.sinks")}</th>
              <td id="message-sinks">
                {m.sinks.length === 0
                  ? t("admin.msg.noSinks")
                  : m.sinks.map((s) => (
                      <div>
                        {s.sink}
                        {p.sinkKinds?.[s.sink] === undefined ? null : (
                          <span class="muted"> ({p.sinkKinds[s.sink]})</span>
                        )}
                        : <span class={`badge ${s.state === "delivered" ? "" : "rejected"}`}>{s.state}</span>
                        {s.lastError === null ? null : <span class="muted"> {s.lastError}</span>}
                      </div>
                    ))}
              </td>
            </tr>
          </tbody>
        </table>
        {m.rawPurged ? null : (
          <p class="actions" style="margin-top:1rem">
            <a href={link(`/api/v1/admin/messages/${m.id}/raw`)} download>
              {t("admin.msg.raw")}
            </a>
          </p>
        )}
      </section>
      {p.parts.length === 0 ? null : (
        <section class="card" aria-labelledby="attachments-heading">
          <h2 id="attachments-heading" style="margin-top:0">
            {t("admin.msg.attachments")}
          </h2>
          <ul id="attachments">
            {p.parts.map((part) => (
              <li>
                <a href={link(`/api/v1/admin/messages/${m.id}/parts/${part.id}`)} download>
                  {part.filename ?? `part-${part.id}`}
                </a>{" "}
                <span class="muted">
                  ({part.contentType}, {humanSize(part.size)})
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card" aria-label={t("admin.msg.messages")}>
        <Body t={t} body={body} self={self} time={time} />
      </section>
    </AdminFrame>
  );
}

function Body(p: { t: AdminPageBase["t"]; body: ShownBody; self: string; time: (iso: string) => string }) {
  const { t, body } = p;
  switch (body.kind) {
    case "purged":
      return <p class="notice warn">{t("admin.msg.purged", { date: p.time(body.at) })}</p>;
    case "none":
      return <p class="muted">{t("admin.msg.noBody")}</p>;
    case "text":
      return (
        <>
          {body.hasHtml ? (
            <p class="muted">
              <a href={`${p.self}?view=html`}>{t("admin.msg.showHtml")}</a>
            </p>
          ) : null}
          <pre id="message-text" style="white-space:pre-wrap;overflow-wrap:anywhere;margin:0">
            {body.text}
          </pre>
        </>
      );
    case "html":
      return (
        <>
          <p class="muted">
            {t("admin.msg.remoteBlocked")}
            {body.hasText ? (
              <>
                {" "}
                <a href={`${p.self}?view=text`}>{t("admin.msg.showText")}</a>
              </>
            ) : null}
          </p>
          <div
            id="message-html"
            style="overflow-wrap:anywhere;overflow:auto;max-width:100%"
            dangerouslySetInnerHTML={{ __html: body.safeHtml }}
          />
        </>
      );
  }
}
