/** @jsxImportSource hono/jsx */
/**
 * The registration window page: open or close by hand, or save a schedule (times read in the
 * site's time zone). Changes go through the store's audited functions.
 *
 * @module
 */
import { setOpenNow } from "@mailreg/store";
import type { Hono } from "hono";
import type { AppContext } from "../app-context.ts";
import { hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import type { FieldErrors } from "../http/field-errors.ts";
import { setFlash } from "../http/flash.ts";
import { renderPage } from "../http/render.ts";
import { WindowPage } from "../views/admin/window-page.tsx";
import { localToIso } from "../views/zoned-time.ts";
import type { Window } from "../windows/window-state.ts";
import { readWindowState, setSchedule } from "../windows/window-store.ts";
import { formOf, pageBase, textOf } from "./page-base.ts";

function _schedule(
  form: Record<string, string | string[]>,
  timeZone: string,
): { windows: Window[]; errors: FieldErrors } {
  const windows: Window[] = [];
  const errors: FieldErrors = {};
  const rows = Object.keys(form)
    .filter((k) => /^from_\d+$/.test(k))
    .map((k) => k.slice(5));
  for (const n of rows) {
    const [fromText, untilText] = [textOf(form, `from_${n}`), textOf(form, `until_${n}`)];
    if (fromText === "" && untilText === "") continue;
    const from = localToIso(fromText, timeZone);
    const until = localToIso(untilText, timeZone);
    if (from === undefined) errors[`from_${n}`] = { code: fromText === "" ? "required" : "invalid" };
    if (until === undefined) errors[`until_${n}`] = { code: untilText === "" ? "required" : "invalid" };
    else if (from !== undefined && until <= from) errors[`until_${n}`] = { code: "invalid" };
    if (from !== undefined && until !== undefined && until > from) windows.push({ from, until });
  }
  return { windows, errors };
}

/**
 * Adds /admin/window (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function windowRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/window", async (c) => {
    const state = await readWindowState(ctx.store, ctx.config, ctx.clock());
    return renderPage(c, <WindowPage {...pageBase(c)} state={state} timeZone={ctx.timeZone} />);
  });
  app.post("/admin/window", async (c) => {
    const form = await formOf(c);
    const by = { actor: c.get("actor"), now: ctx.clock() };
    const action = textOf(form, "action");
    if (action === "open" || action === "close") {
      await setOpenNow(ctx.store, action === "open", by);
    } else {
      const { windows, errors } = _schedule(form, ctx.timeZone);
      if (Object.keys(errors).length > 0) {
        const state = await readWindowState(ctx.store, ctx.config, ctx.clock());
        const values = Object.fromEntries(
          Object.entries(form)
            .filter(([k]) => /^(from|until)_\d+$/.test(k))
            .map(([k]) => [k, textOf(form, k)]),
        );
        return renderPage(
          c,
          <WindowPage
            {...pageBase(c)}
            state={state}
            timeZone={ctx.timeZone}
            values={values}
            errors={errors}
          />,
          400,
        );
      }
      await setSchedule(ctx.store, windows, by);
    }
    ctx.windows.changed();
    setFlash(c, [{ kind: "ok", text: c.get("t")("admin.window.saved") }]);
    return c.redirect(hrefOf(c, "/admin/window"), 303);
  });
}
