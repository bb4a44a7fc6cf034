/** @jsxImportSource hono/jsx */
/**
 * Signing in and out of the admin pages. The password is checked against the config's hash (a
 * dummy hash is checked for unknown users, so both take as long); sign-ins are rate limited and
 * audited; signing out ends every session of the user.
 *
 * @module
 */
import { verifyPassword } from "@mailreg/core";
import { appendAudit } from "@mailreg/store";
import type { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../app-context.ts";
import { pageGuard, sessionOf } from "../auth/admin-guard.ts";
import { appUrl, hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { renderPage } from "../http/render.ts";
import { LoginPage } from "../views/admin/login-page.tsx";
import { formOf, safeBack, textOf } from "./page-base.ts";

// A valid hash of a random password: checked for unknown user names so they take as long as known ones.
const _DUMMY_HASH = "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/**
 * Adds /admin/login and /admin/logout.
 *
 * @param app the app
 * @param ctx the app context
 */
export function loginRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  const { config } = ctx;
  const secure = config.server.publicUrl?.startsWith("https:") === true;
  app.get("/admin/login", async (c) => {
    const next = safeBack(c.req.query("next") ?? "", "/admin/registrations");
    if ((await sessionOf(c, config, ctx.sessions)) !== undefined) return c.redirect(hrefOf(c, next), 303);
    return renderPage(c, <LoginPage t={c.get("t")} locale={c.get("locale")} url={appUrl(c)} next={next} />);
  });
  app.post("/admin/login", rateLimit(ctx.loginLimiter), async (c) => {
    const form = await formOf(c);
    const name = textOf(form, "user").trim();
    const next = safeBack(textOf(form, "next"), "/admin/registrations");
    const user = config.admin.users.find((u) => u.name === name);
    const ok = await verifyPassword(textOf(form, "password"), user?.passwordHash ?? _DUMMY_HASH);
    if (user === undefined || !ok) {
      ctx.logger.warn("admin sign-in refused", { user: name.slice(0, 200), requestId: c.get("requestId") });
      const page = (
        <LoginPage t={c.get("t")} locale={c.get("locale")} url={appUrl(c)} next={next} user={name} failed />
      );
      return renderPage(c, page, 401);
    }
    const { token } = await ctx.sessions.issue(user.name);
    setCookie(c, config.admin.session.cookieName, token, {
      path: hrefOf(c, "/"),
      httpOnly: true,
      sameSite: "Strict",
      secure,
      maxAge: config.admin.session.maxAgeSeconds,
    });
    await appendAudit(ctx.store, {
      actor: user.name,
      action: "admin.sign-in",
      subjectType: "admin-user",
      subjectId: user.name,
      at: ctx.clock(),
    });
    return c.redirect(hrefOf(c, next), 303);
  });
  app.post("/admin/logout", pageGuard(config, ctx.sessions), async (c) => {
    const user = c.get("actor");
    await ctx.sessions.revokeAll(user);
    deleteCookie(c, config.admin.session.cookieName, {
      path: hrefOf(c, "/"),
      secure,
      httpOnly: true,
      sameSite: "Strict",
    });
    await appendAudit(ctx.store, {
      actor: user,
      action: "admin.sign-out",
      subjectType: "admin-user",
      subjectId: user,
      at: ctx.clock(),
    });
    return c.redirect(hrefOf(c, "/admin/login"), 303);
  });
}
