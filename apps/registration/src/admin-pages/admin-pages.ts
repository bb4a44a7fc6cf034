/**
 * The admin pages under /admin: sign-in is open, everything else is behind the page guard.
 *
 * @module
 */
import type { Hono } from "hono";
import type { AppContext } from "../app-context.ts";
import { pageGuard } from "../auth/admin-guard.ts";
import { appPath, hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { deadLetterRoutes } from "./dead-letter-routes.tsx";
import { infoRoutes } from "./info-routes.tsx";
import { loginRoutes } from "./login-routes.tsx";
import { mailboxRoutes } from "./mailbox-routes.tsx";
import { messageRoutes } from "./message-routes.tsx";
import { oauthAdminRoutes } from "./oauth-routes.tsx";
import { registrationsRoutes } from "./registrations-routes.tsx";
import { windowRoutes } from "./window-routes.tsx";

/**
 * Adds the admin pages.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminPages(app: Hono<AppEnv>, ctx: AppContext): void {
  loginRoutes(app, ctx);
  const guard = pageGuard(ctx.config, ctx.sessions);
  app.use("/admin", guard);
  app.use("/admin/*", async (c, next) => (appPath(c) === "/admin/login" ? next() : guard(c, next)));
  app.get("/admin", (c) => c.redirect(hrefOf(c, "/admin/registrations?status=pending"), 303));
  registrationsRoutes(app, ctx);
  windowRoutes(app, ctx);
  mailboxRoutes(app, ctx);
  messageRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  oauthAdminRoutes(app, ctx);
  infoRoutes(app, ctx);
}
