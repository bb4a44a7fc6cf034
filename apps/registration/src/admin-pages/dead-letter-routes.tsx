/**
 * The dead-letters page under /admin/dead-letters (read-only).
 *
 * @module
 */
import type { Hono } from "hono";
import { deadLetterViews } from "../admin/dead-letter-view.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
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
}
