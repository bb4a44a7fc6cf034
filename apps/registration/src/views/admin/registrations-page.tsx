/** @jsxImportSource hono/jsx */
/**
 * The registrations page: filter and search, a table to select from, and Apply (into an instance)
 * or Reject for the selected ones.
 *
 * @module
 */
import type { Config, RegistrationRecord, RegistrationStatus } from "@mailreg/core";
import { link } from "../../http/base-path.tsx";
import { formatTime } from "../format-time.ts";
import { AdminFrame, type AdminPageBase, Csrf } from "./admin-frame.tsx";

/** Properties of {@link RegistrationsPage}. */
export interface RegistrationsPageProps extends AdminPageBase {
  config: Config;
  timeZone: string;
  status: RegistrationStatus | undefined;
  query: string;
  registrations: RegistrationRecord[];
  /** The cursor of the next page, if there is one. */
  next: string | undefined;
}

function _server(config: Config, r: RegistrationRecord): string {
  const template = config.servers.find((s) => s.id === r.template);
  return template === undefined ? `${r.host}:${r.port} (${r.protocol}, ${r.security})` : template.label;
}

/**
 * The registrations page.
 *
 * @param p filter, the registrations and the base properties
 * @returns the page
 */
export function RegistrationsPage(p: RegistrationsPageProps) {
  const { t, config } = p;
  const statuses = ["pending", "applied", "rejected"] as const;
  const anyPending = p.registrations.some((r) => r.status === "pending");
  const back = p.url.pathname + p.url.search;
  const moreParams = new URLSearchParams(p.url.search);
  if (p.next !== undefined) moreParams.set("before", p.next);
  return (
    <AdminFrame {...p} heading={t("admin.nav.registrations")}>
      <form method="get" action={link("/admin/registrations")} class="toolbar" aria-label={t("admin.search")}>
        <div class="field">
          <label for="f-status">{t("admin.status")}</label>
          <select id="f-status" name="status">
            <option value="" selected={p.status === undefined}>
              {t("admin.status.all")}
            </option>
            {statuses.map((s) => (
              <option value={s} selected={p.status === s}>
                {t(`admin.status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-q">{t("admin.search")}</label>
          <input type="search" id="f-q" name="q" value={p.query} placeholder={t("admin.search.hint")} />
        </div>
        <button type="submit" class="secondary">
          {t("admin.filter")}
        </button>
      </form>
      {p.registrations.length === 0 ? (
        <p class="card muted">{t("admin.reg.none")}</p>
      ) : (
        <form method="post" action={link("/admin/registrations/decide")}>
          <Csrf session={p.session} />
          <input type="hidden" name="back" value={back} />
          <div class="card" style="padding:0;overflow-x:auto">
            <table>
              <thead>
                <tr>
                  <th scope="col">
                    <span class="skip">{t("admin.reg.selectAll")}</span>
                  </th>
                  <th scope="col">{t("admin.reg.received")}</th>
                  <th scope="col">{t("admin.reg.address")}</th>
                  <th scope="col">{t("admin.reg.name")}</th>
                  <th scope="col">{t("admin.reg.server")}</th>
                  <th scope="col">{t("admin.reg.login")}</th>
                  <th scope="col">{t("admin.status")}</th>
                  <th scope="col">{t("admin.reg.decision")}</th>
                </tr>
              </thead>
              <tbody>
                {p.registrations.map((r) => (
                  <tr>
                    <td>
                      {r.status === "pending" ? (
                        <input
                          type="checkbox"
                          name="ids"
                          value={r.id}
                          id={`sel-${r.id}`}
                          aria-label={t("admin.reg.select", { address: r.address })}
                        />
                      ) : null}
                    </td>
                    <td>
                      <time datetime={r.receivedAt}>{formatTime(r.receivedAt, p.locale, p.timeZone)}</time>
                    </td>
                    <td>{r.address}</td>
                    <td>{r.displayName ?? ""}</td>
                    <td>{_server(config, r)}</td>
                    <td>{r.login}</td>
                    <td>
                      <span class={`badge ${r.status}`}>{t(`admin.status.${r.status}`)}</span>
                    </td>
                    <td class="muted">
                      {r.decision === undefined
                        ? ""
                        : `${r.decision.by}, ${formatTime(r.decision.at, p.locale, p.timeZone)}${r.decision.instance === undefined ? "" : ` → ${r.decision.instance}`}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {!anyPending ? null : (
            <div class="actions">
              <div class="field">
                <label for="f-instance">{t("admin.reg.instance")}</label>
                <select id="f-instance" name="instance">
                  {config.instances.map((i) => (
                    <option value={i.id}>{`${i.label} (${i.id})`}</option>
                  ))}
                </select>
              </div>
              <label class="check">
                <input type="checkbox" name="replace" value="1" /> {t("admin.reg.replace")}
              </label>
              <button type="submit" name="action" value="apply">
                {t("admin.reg.apply")}
              </button>
              <button type="submit" name="action" value="reject" class="danger">
                {t("admin.reg.reject")}
              </button>
            </div>
          )}
        </form>
      )}
      {p.next === undefined ? null : (
        <p>
          <a href={link(`/admin/registrations?${moreParams}`)}>{t("admin.reg.more")}</a>
        </p>
      )}
    </AdminFrame>
  );
}
