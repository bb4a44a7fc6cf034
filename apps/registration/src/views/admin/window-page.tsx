/** @jsxImportSource hono/jsx */
/**
 * The registration window page: where it stands, open/close by hand, and the schedule.
 *
 * @module
 */

import { link } from "../../http/base-path.tsx";
import type { FieldErrors } from "../../http/field-errors.ts";
import type { WindowState } from "../../windows/window-state.ts";
import { Field } from "../field.tsx";
import { formatTime } from "../format-time.ts";
import { isoToLocal } from "../zoned-time.ts";
import { AdminFrame, type AdminPageBase, Csrf } from "./admin-frame.tsx";

/** Properties of {@link WindowPage}. */
export interface WindowPageProps extends AdminPageBase {
  state: WindowState;
  timeZone: string;
  /** Submitted rows (after an error) as `from_N`/`until_N` values. */
  values?: Record<string, string>;
  errors?: FieldErrors;
}

/**
 * The window page.
 *
 * @param p the state, submitted values and errors
 * @returns the page
 */
export function WindowPage(p: WindowPageProps) {
  const { t, state } = p;
  const rows =
    p.values !== undefined
      ? Object.keys(p.values).filter((k) => k.startsWith("from_")).length
      : state.windows.length + 2;
  const value = (name: string, i: number) =>
    p.values?.[`${name}_${i}`] ??
    (state.windows[i] === undefined
      ? ""
      : isoToLocal(state.windows[i][name === "from" ? "from" : "until"], p.timeZone));
  return (
    <AdminFrame {...p} heading={t("admin.nav.window")}>
      <section class="card" aria-labelledby="state-h">
        <h2 id="state-h">
          {t("admin.window.state", { state: "" })}
          <span class={`badge ${state.open ? "open" : "closed"}`} id="window-state">
            {t(state.open ? "admin.window.open" : "admin.window.closed")}
          </span>
        </h2>
        {state.enabled ? null : <p class="notice warn">{t("admin.window.disabled")}</p>}
        <p>{t(`admin.window.mode.${state.mode}`)}</p>
        {state.nextOpen === null ? null : (
          <p>{t("admin.window.nextOpen", { time: formatTime(state.nextOpen, p.locale, p.timeZone) })}</p>
        )}
        <form method="post" action={link("/admin/window")} class="actions">
          <Csrf session={p.session} />
          <button type="submit" name="action" value="open">
            {t("admin.window.openNow")}
          </button>
          <button type="submit" name="action" value="close" class="danger">
            {t("admin.window.closeNow")}
          </button>
        </form>
      </section>
      <section class="card" aria-labelledby="schedule-h">
        <h2 id="schedule-h">{t("admin.window.schedule")}</h2>
        <p class="hint">{t("admin.window.schedule.hint", { zone: p.timeZone })}</p>
        <form method="post" action={link("/admin/window")} novalidate>
          <Csrf session={p.session} />
          <input type="hidden" name="action" value="schedule" />
          {Array.from({ length: rows }, (_, i) => (
            <fieldset>
              <legend>{t("admin.window.row", { n: i + 1 })}</legend>
              <div class="row">
                <Field
                  t={t}
                  type="datetime-local"
                  name={`from_${i}`}
                  label={t("admin.window.from")}
                  value={value("from", i)}
                  error={p.errors?.[`from_${i}`]}
                />
                <Field
                  t={t}
                  type="datetime-local"
                  name={`until_${i}`}
                  label={t("admin.window.until")}
                  value={value("until", i)}
                  error={p.errors?.[`until_${i}`]}
                />
              </div>
            </fieldset>
          ))}
          <button type="submit">{t("admin.window.save")}</button>
        </form>
      </section>
    </AdminFrame>
  );
}
