/**
 * Sets the request's language: `?lang=` (remembered in a cookie), then the cookie, then
 * Accept-Language.
 *
 * @module
 */
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { isLocale, negotiateLocale, translator } from "../i18n/i18n.ts";
import { hrefOf } from "./base-path.tsx";
import type { AppEnv } from "./env.ts";

/** The cookie that remembers the language switch. */
export const LANG_COOKIE = "mailreg_lang";

/**
 * The language middleware: sets `locale` and `t`.
 *
 * @returns the middleware
 */
export function localeMiddleware() {
  return createMiddleware<AppEnv>(async function locale(c, next) {
    const asked = c.req.query("lang");
    if (isLocale(asked)) {
      setCookie(c, LANG_COOKIE, asked, {
        path: hrefOf(c, "/"),
        sameSite: "Lax",
        maxAge: 31_536_000,
        httpOnly: true,
      });
    }
    const locale = negotiateLocale(asked ?? getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", translator(locale));
    c.header("Content-Language", locale);
    await next();
  });
}
