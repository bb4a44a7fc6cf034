/** @jsxImportSource hono/jsx */
/**
 * The admin's OAuth page: the OAuth apps from the config and each OAuth mailbox's grant state with
 * a new grant link.
 *
 * @module
 */
import type { Hono } from "hono";
import { oauthApps, oauthMailboxes } from "../admin/oauth-view.ts";
import type { AppContext } from "../app-context.ts";
import { basePath } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { renderPage } from "../http/render.ts";
import { OAuthPage } from "../views/admin/oauth-page.tsx";
import { pageBase } from "./page-base.ts";

/**
 * Adds /admin/oauth (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function oauthAdminRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/oauth", async (c) =>
    renderPage(
      c,
      <OAuthPage
        {...pageBase(c)}
        apps={oauthApps(ctx.config, basePath(c))}
        mailboxes={await oauthMailboxes(ctx.config, ctx.store, basePath(c))}
        timeZone={ctx.timeZone}
      />,
    ),
  );
}
