/** @jsxImportSource hono/jsx */
/**
 * A mailbox's collected messages: its folders with counts, the search form, the messages newest
 * first, and "older messages" paging by cursor.
 *
 * @module
 */
import type { MessageSummary, StoredAddress, StoredFolder } from "@mailreg/store";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase } from "./admin-frame.tsx";

/** The search of the page, as the form holds it. */
export interface MessageSearch {
  folder?: string;
  q?: string;
  from?: string;
  to?: string;
  subject?: string;
  since?: string;
  until?: string;
}

/**
 * A byte count for people.
 *
 * @param bytes the count
 * @returns e.g. "3.2 KB"
 */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Addresses as a short line: names where there are, else addresses.
 *
 * @param list the addresses
 * @returns the line
 */
export function addressLine(list: readonly StoredAddress[]): string {
  return list.map((a) => (a.name === undefined ? a.address : `${a.name} <${a.address}>`)).join(", ");
}

/** The query string of a search (and an optional cursor). */
export function searchQuery(search: MessageSearch, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...search, ...extra }))
    if (v !== undefined && v !== "") params.set(k, v);
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}

/**
 * The messages page.
 *
 * @param p the mailbox, its folders, the search, the page of messages and the next cursor
 * @returns the page
 */
export function MessagesPage(
  p: AdminPageBase & {
    mailbox: { id: string; address: string };
    folders: StoredFolder[];
    search: MessageSearch;
    messages: MessageSummary[];
    nextCursor: string | null;
    paged: boolean;
    timeZone: string;
  },
) {
  const { t, mailbox, search } = p;
  const base = link(`/admin/mailboxes/${mailbox.id}/messages`);
  const total = p.folders.reduce((n, f) => n + f.count, 0);
  return (
    <AdminFrame {...p} heading={`${t("admin.msg.messages")}: ${mailbox.address}`}>
      <p class="muted">
        <a href={link(`/admin/mailboxes/${mailbox.id}`)}>{mailbox.address}</a>
      </p>
      <nav class="card" aria-labelledby="folders-heading">
        <h2 id="folders-heading" style="margin-top:0">
          {t("admin.msg.folders")}
        </h2>
        <ul
          id="folders"
          style="list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem"
        >
          <li>
            <a href={base} aria-current={search.folder === undefined ? "page" : undefined}>
              {t("admin.msg.allFolders")}
            </a>{" "}
            <span class="muted">({total})</span>
          </li>
          {p.folders.map((f) => (
            <li data-folder={f.folder}>
              <a
                href={`${base}${searchQuery({ folder: f.folder })}`}
                aria-current={search.folder === f.folder ? "page" : undefined}
              >
                {f.folder}
              </a>{" "}
              <span class="muted">({f.count})</span>
            </li>
          ))}
        </ul>
      </nav>
      <form method="get" action={base} class="card" id="message-search">
        {search.folder === undefined ? null : <input type="hidden" name="folder" value={search.folder} />}
        <label for="q">{t("admin.msg.searchLabel")}</label>
        <div class="actions">
          <input type="search" id="q" name="q" value={search.q ?? ""} style="flex:1" />
          <button type="submit">{t("admin.msg.search")}</button>
        </div>
        <details open={[search.from, search.to, search.subject, search.since, search.until].some((v) => v)}>
          <summary>
            {t("admin.msg.from")} · {t("admin.msg.to")} · {t("admin.msg.subject")} · {t("admin.msg.date")}
          </summary>
          <div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.5rem">
            <label>
              {t("admin.msg.from")} <input type="text" name="from" value={search.from ?? ""} />
            </label>
            <label>
              {t("admin.msg.to")} <input type="text" name="to" value={search.to ?? ""} />
            </label>
            <label>
              {t("admin.msg.subject")} <input type="text" name="subject" value={search.subject ?? ""} />
            </label>
            <label>
              {t("admin.msg.since")} <input type="date" name="since" value={search.since ?? ""} />
            </label>
            <label>
              {t("admin.msg.until")} <input type="date" name="until" value={search.until ?? ""} />
            </label>
          </div>
        </details>
      </form>
      {p.messages.length === 0 ? (
        <p class="card muted" id="no-messages">
          {t("admin.msg.none")}
        </p>
      ) : (
        <div class="card" style="padding:0;overflow-x:auto">
          <table id="messages">
            <thead>
              <tr>
                <th scope="col">{t("admin.msg.received")}</th>
                <th scope="col">{t("admin.msg.from")}</th>
                <th scope="col">{t("admin.msg.subject")}</th>
                {search.folder === undefined ? <th scope="col">{t("admin.msg.folder")}</th> : null}
                <th scope="col">{t("admin.msg.size")}</th>
              </tr>
            </thead>
            <tbody>
              {p.messages.map((m) => (
                <tr data-message={m.id}>
                  <td>{formatTime(m.receivedAt, p.locale, p.timeZone)}</td>
                  <td>{addressLine(m.from)}</td>
                  <td>
                    <a href={link(`/admin/messages/${m.id}`)}>
                      {m.subject === "" ? t("admin.msg.noSubject") : m.subject}
                    </a>
                  </td>
                  {search.folder === undefined ? <td>{m.folder}</td> : null}
                  <td class="num">{humanSize(m.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="actions">
        {p.paged ? <a href={`${base}${searchQuery(search)}`}>{t("admin.msg.newest")}</a> : null}
        {p.nextCursor === null ? null : (
          <a href={`${base}${searchQuery(search, { cursor: p.nextCursor })}`} rel="next" id="older">
            {t("admin.msg.older")}
          </a>
        )}
      </p>
    </AdminFrame>
  );
}
