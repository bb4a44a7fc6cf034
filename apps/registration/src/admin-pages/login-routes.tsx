/** @jsxImportSource hono/jsx */
/**
 * Signing in and out of the admin pages. The password is checked against the config's hash (a
 * dummy hash is checked for unknown users, so both take as long); sign-ins are rate limited and
 * audited; signing out ends every session of the user.
 *
 * @module
 */
import { MailregError, verifyPassword } from "@mailreg/core";
import { addRateLimitHit, appendAudit, clearRateLimitHits, recentRateLimitHits } from "@mailreg/store";
import type { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../app-context.ts";
import { pageGuard, sessionOf } from "../auth/admin-guard.ts";
import { appUrl, hrefOf } from "../http/base-path.tsx";
import { clientKey } from "../http/client-address.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { renderPage } from "../http/render.ts";
import { secureCookies } from "../http/transport.ts";
import { LoginPage } from "../views/admin/login-page.tsx";
import { formOf, safeBack, textOf } from "./page-base.ts";

/** Failed sign-ins per account allowed before it backs off, and the longest back-off. */
const _FREE_FAILURES = 3;
const _MAX_LOCK_MS = 15 * 60_000;
/** The store's counter of failed sign-ins per account, and how long a failure counts (a day). */
const _FAILURES = { scope: "admin-sign-in-failures", windowSeconds: 86_400 };

/** How long the account refuses sign-ins after its `failures`-th failure in a row. */
const _lockMs = (failures: number) =>
  failures > _FREE_FAILURES ? Math.min(5_000 * 2 ** (failures - _FREE_FAILURES - 1), _MAX_LOCK_MS) : 0;

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
  // per account (as typed, known or not, so the answer says nothing about which names exist):
  // failures in a row, counted in the store (every app process sees them, a restart keeps them); the
  // account refuses sign-ins for a while after its last failure, doubling from the fourth
  app.get("/admin/login", async (c) => {
    const next = safeBack(c.req.query("next") ?? "", "/admin/registrations");
    if ((await sessionOf(c, config, ctx.sessions)) !== undefined) return c.redirect(hrefOf(c, next), 303);
    return renderPage(c, <LoginPage t={c.get("t")} locale={c.get("locale")} url={appUrl(c)} next={next} />);
  });
  app.post("/admin/login", rateLimit(ctx.loginLimiter), async (c) => {
    const form = await formOf(c);
    const name = textOf(form, "user").trim();
    const next = safeBack(textOf(form, "next"), "/admin/registrations");
    const client = clientKey(c, config.server.trustedProxies);
    const account = name.toLowerCase().slice(0, 200);
    const at = ctx.clock();
    const now = at.getTime();
    const failuresKey = { ..._FAILURES, key: account, now: at };
    const state = await recentRateLimitHits(ctx.store, failuresKey);
    const until = state.last === undefined ? 0 : state.last.getTime() + _lockMs(state.count);
    if (until > now) {
      const wait = Math.ceil((until - now) / 1000);
      ctx.logger.warn("admin sign-in refused: account backing off", { user: account, client, seconds: wait });
      throw new MailregError(
        "RATE_LIMITED",
        `Too many failed sign-ins for this account: try again in ${wait} s`,
        {
          details: { retryAfterSeconds: wait },
        },
      );
    }
    const user = config.admin.users.find((u) => u.name === name);
    const ok = await verifyPassword(textOf(form, "password"), user?.passwordHash ?? _DUMMY_HASH);
    if (user === undefined || !ok) {
      ctx.logger.warn("admin sign-in refused", {
        user: name.slice(0, 200),
        client,
        requestId: c.get("requestId"),
      });
      const failures = await addRateLimitHit(ctx.store, failuresKey);
      const lockMs = _lockMs(failures);
      if (lockMs > 0) {
        // other admins see the lockout in the audit log
        await appendAudit(ctx.store, {
          actor: "public",
          action: "admin.sign-in-locked",
          subjectType: "admin-user",
          subjectId: account,
          details: { failures, seconds: lockMs / 1000, client },
          at: ctx.clock(),
        });
      }
      const page = (
        <LoginPage t={c.get("t")} locale={c.get("locale")} url={appUrl(c)} next={next} user={name} failed />
      );
      return renderPage(c, page, 401);
    }
    await clearRateLimitHits(ctx.store, _FAILURES.scope, account);
    const { token } = await ctx.sessions.issue(user.name);
    setCookie(c, config.admin.session.cookieName, token, {
      path: hrefOf(c, "/"),
      httpOnly: true,
      sameSite: "Strict",
      secure: secureCookies(c, config),
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
      secure: secureCookies(c, config),
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
