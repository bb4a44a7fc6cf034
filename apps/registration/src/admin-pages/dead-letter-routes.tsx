/** @jsxImportSource hono/jsx */
/**
 * The dead-letters page under /admin/dead-letters, and its "retry" button.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import type { Hono } from "hono";
import { deadLetterViews } from "../admin/dead-letter-view.ts";
import { retryDeadLetterAction } from "../admin/routing-actions.ts";
import type { AppContext } from "../app-context.ts";
import { hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { type Flash, setFlash } from "../http/flash.ts";
import { renderPage } from "../http/render.ts";
import { DeadLettersPage } from "../views/admin/dead-letters-page.tsx";
import { pageBase } from "./page-base.ts";

/**
 * Adds /admin/dead-letters (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function deadLetterRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/dead-letters", async (c) => {
    const letters = await deadLetterViews(ctx.store);
    return renderPage(c, <DeadLettersPage {...pageBase(c)} letters={letters} timeZone={ctx.timeZone} />);
  });
  app.post("/admin/dead-letters/:id/retry", async (c) => {
    const t = c.get("t");
    const id = c.req.param("id");
    let flash: Flash;
    try {
      const r = await retryDeadLetterAction(ctx, { id, actor: c.get("actor") });
      const sink = r.sink;
      flash =
        r.outcome === "delivered"
          ? { kind: "ok", text: t("admin.dl.retried", { sink }) }
          : r.outcome === "failed"
            ? { kind: "error", text: t("admin.dl.retryFailed", { sink, message: r.lastError }) }
            : { kind: "error", text: t("admin.dl.retrySkipped", { reason: r.reason }) };
    } catch (error) {
      if (!isMailregError(error)) throw error;
      flash = { kind: "error", text: error.message };
    }
    setFlash(c, [flash]);
    return c.redirect(hrefOf(c, "/admin/dead-letters"), 303);
  });
}
