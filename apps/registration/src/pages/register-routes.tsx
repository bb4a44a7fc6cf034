/** @jsxImportSource hono/jsx */
/**
 * The public pages: `GET /register`, `POST /register` (303 back with the success message, or the
 * form again with per-field errors), `/statreg` and `/` redirecting there. The OAuth sign-in is in
 * `oauth-routes.tsx`.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import type { Context, Hono } from "hono";
import type { AppContext } from "../app-context.ts";
import { appUrl, hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { fieldErrorsOf } from "../http/field-errors.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { countRefusal, refusalCounter } from "../http/refusal-counter.ts";
import { renderPage } from "../http/render.ts";
import { statusOf } from "../http/status.ts";
import { bodyFromForm } from "../submit/registration-body.ts";
import { submitRegistration } from "../submit/submit-registration.ts";
import { RegisterPage, type RegisterPageProps } from "../views/register-page.tsx";
import { requireOpen } from "../windows/window-guard.ts";

const _KEPT = [
  "address",
  "displayName",
  "login",
  "template",
  "server.protocol",
  "server.host",
  "server.port",
  "server.security",
];

/**
 * The registration page for this request, with `props` on top.
 *
 * @param c the request context
 * @param ctx the app context
 * @param props closed notice, success, values and errors
 * @returns the page element
 */
export function registerPage(c: Context<AppEnv>, ctx: AppContext, props: Partial<RegisterPageProps>) {
  return (
    <RegisterPage
      t={c.get("t")}
      locale={c.get("locale")}
      url={appUrl(c)}
      config={ctx.config}
      timeZone={ctx.timeZone}
      {...props}
    />
  );
}

/**
 * Adds the public pages.
 *
 * @param app the app
 * @param ctx the app context
 */
export function registerPages(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/", (c) => c.redirect(hrefOf(c, "/register"), 302));
  app.get("/statreg", (c) => c.redirect(hrefOf(c, `/register${new URL(c.req.url).search}`), 301));
  app.get("/register", async (c) => {
    const state = await ctx.windows.state();
    if (!state.open) return renderPage(c, registerPage(c, ctx, { closed: { nextOpen: state.nextOpen } }));
    return renderPage(c, registerPage(c, ctx, { done: c.req.query("done") === "1" }));
  });
  app.post("/register", refusalCounter(ctx.metrics), rateLimit(ctx.submitLimiter), async (c) => {
    const form = await c.req.parseBody();
    try {
      await requireOpen(ctx);
    } catch (error) {
      if (!isMailregError(error, "WINDOW_CLOSED")) throw error;
      countRefusal(ctx.metrics, error);
      const nextOpen = (error.details?.nextOpen as string | null | undefined) ?? null;
      return renderPage(c, registerPage(c, ctx, { closed: { nextOpen } }), 403);
    }
    try {
      await submitRegistration(ctx, bodyFromForm(form));
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!isMailregError(error) || errors === undefined) throw error;
      countRefusal(ctx.metrics, error);
      const values = Object.fromEntries(
        _KEPT.filter((k) => typeof form[k] === "string").map((k) => [k, form[k] as string]),
      );
      return renderPage(c, registerPage(c, ctx, { values, errors }), statusOf(error.code));
    }
    ctx.metrics.received.inc();
    return c.redirect(hrefOf(c, "/register?done=1"), 303);
  });
}
