/** @jsxImportSource hono/jsx */
/**
 * "Sign in with Google/Microsoft" on the registration page: `GET /register/oauth/{provider}/start`
 * sends the owner to the provider (state, PKCE verifier and nonce in a short-lived signed cookie),
 * `GET /register/oauth/{provider}/callback` takes the answer and stores a pending registration, then
 * shows the success message. Registration windows, the rate limit and the refusal metrics apply as
 * to the password form. No token ever reaches a page, a log line or a response.
 *
 * @module
 */
import { isMailregError, type MailregError } from "@mailreg/core";
import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../app-context.ts";
import { appUrl, hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { fieldErrorsOf, fieldMessage } from "../http/field-errors.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { countRefusal, refusalCounter } from "../http/refusal-counter.ts";
import { renderPage } from "../http/render.ts";
import { statusOf } from "../http/status.ts";
import { secureCookies } from "../http/transport.ts";
import type { MessageKey } from "../i18n/en.ts";
import { FLOW_MAX_AGE_SECONDS, flowCookieName } from "../oauth/flow-cookie.ts";
import { finishSignIn, signInProvider, startSignIn } from "../oauth/oauth-registration.ts";
import { ErrorPage } from "../views/error-page.tsx";
import { providerName } from "../views/provider-name.ts";
import { requireOpen } from "../windows/window-guard.ts";
import { registerPage } from "./register-routes.tsx";

/**
 * Adds the OAuth sign-in routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function oauthPages(app: Hono<AppEnv>, ctx: AppContext): void {
  const cookie = (c: Context, id: string) => ({
    name: flowCookieName(id),
    path: hrefOf(c, `/register/oauth/${id}/`),
    secure: secureCookies(c, ctx.config),
  });

  app.get("/register/oauth/:provider/start", async (c) => {
    const id = c.req.param("provider");
    const { provider } = signInProvider(ctx, id);
    const closed = await _closed(c, ctx, false);
    if (closed !== undefined) return closed;
    let started: Awaited<ReturnType<typeof startSignIn>>;
    try {
      started = await startSignIn(ctx, id, c.req.query("login_hint"));
    } catch (error) {
      return await _refusedPage(c, ctx, { id, name: providerName(id, provider.kind) }, error);
    }
    const { flow, url } = started;
    const { name, ...options } = cookie(c, id);
    // Lax, not Strict: the provider sends the owner back from its own site, a cross-site navigation
    setCookie(c, name, await ctx.oauthFlows.seal(flow), {
      ...options,
      httpOnly: true,
      sameSite: "Lax",
      maxAge: FLOW_MAX_AGE_SECONDS,
    });
    c.header("Cache-Control", "no-store");
    return c.redirect(url.href, 302);
  });

  app.get(
    "/register/oauth/:provider/callback",
    refusalCounter(ctx.metrics),
    rateLimit(ctx.submitLimiter),
    async (c) => {
      const id = c.req.param("provider");
      const { provider } = signInProvider(ctx, id);
      const { name, ...options } = cookie(c, id);
      const flow = await ctx.oauthFlows.read(getCookie(c, name), id);
      // an answer is taken once: whatever happens next, this sign-in is over
      deleteCookie(c, name, options);
      const closed = await _closed(c, ctx, true);
      if (closed !== undefined) return closed;
      try {
        await finishSignIn(ctx, { providerId: id, callbackUrl: _ownUrl(c, ctx), flow });
      } catch (error) {
        countRefusal(ctx.metrics, error);
        return await _refusedPage(c, ctx, { id, name: providerName(id, provider.kind) }, error);
      }
      ctx.metrics.received.inc();
      return c.redirect(hrefOf(c, "/register?done=1"), 303);
    },
  );
}

/** The closed notice (403) while no registration window is open (counted as a refused registration). */
async function _closed(c: Context<AppEnv>, ctx: AppContext, count: boolean): Promise<Response | undefined> {
  try {
    await requireOpen(ctx);
    return undefined;
  } catch (error) {
    if (!isMailregError(error, "WINDOW_CLOSED")) throw error;
    if (count) countRefusal(ctx.metrics, error);
    const nextOpen = (error.details?.nextOpen as string | null | undefined) ?? null;
    return await renderPage(c, registerPage(c, ctx, { closed: { nextOpen } }), 403);
  }
}

/**
 * The callback's own URL as the owner's browser saw it: behind a proxy the request reaches this
 * app under another origin, so the configured public URL's origin counts where there is one.
 */
function _ownUrl(c: Context<AppEnv>, ctx: AppContext): URL {
  const url = new URL(c.req.url);
  const publicUrl = ctx.config.server.publicUrl;
  return publicUrl === undefined ? url : new URL(`${url.pathname}${url.search}`, publicUrl);
}

/**
 * The page for a refused sign-in (logged by provider, code and reason only); errors that are not a
 * refusal go on to the app's error handler.
 */
async function _refusedPage(
  c: Context<AppEnv>,
  ctx: AppContext,
  provider: { id: string; name: string },
  error: unknown,
): Promise<Response> {
  const message = isMailregError(error) ? _message(c, error, provider.name) : undefined;
  if (message === undefined) throw error;
  const refused = error as MailregError;
  ctx.logger.warn("oauth sign-in refused", {
    provider: provider.id,
    code: refused.code,
    reason: String(refused.details?.reason ?? ""),
    requestId: c.get("requestId"),
  });
  const t = c.get("t");
  return await renderPage(
    c,
    <ErrorPage t={t} locale={c.get("locale")} url={appUrl(c)} message={message} />,
    statusOf(refused.code),
  );
}

/** The owner's message for a refused sign-in, or undefined for errors the app's handler answers. */
function _message(c: Context<AppEnv>, error: MailregError, provider: string): string | undefined {
  const t = c.get("t");
  const field = fieldErrorsOf(error)?.address;
  const reason = error.details?.reason;
  let text: string;
  if (field !== undefined) text = fieldMessage(field, t);
  else if (typeof reason === "string" && (error.code.startsWith("OAUTH_") || error.code.startsWith("MAIL_")))
    text = t(`oauth.error.${reason}` as MessageKey, { provider });
  else return undefined;
  return `${/[.!?]$/.test(text) ? text : `${text}.`} ${t("oauth.error.nothingStored")}`;
}
