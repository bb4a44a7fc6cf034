/**
 * Who may use the admin routes: an API token (`Authorization: Bearer …`, checked against the
 * config's token hashes) or an admin session cookie. Sets `actor` (and `session`); admin forms
 * must also send the session's CSRF token as `_csrf`.
 *
 * @module
 */
import { type Config, MailregError, verifyToken } from "@mailreg/core";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { appUrl, hrefOf } from "../http/base-path.tsx";
import type { AdminSession, AppEnv } from "../http/env.ts";
import type { Sessions } from "./sessions.ts";

async function _tokenActor(config: Config, header: string | undefined): Promise<string | undefined> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (token === undefined) return undefined;
  for (const entry of config.admin.tokens) {
    if (await verifyToken(token, entry.hash)) return `token:${entry.name}`;
  }
  return undefined;
}

/**
 * The session of the request's cookie, if valid.
 *
 * @param c the request context
 * @param config the config (cookie name)
 * @param sessions the session manager
 * @returns the session, or undefined
 */
export async function sessionOf(
  c: Context,
  config: Config,
  sessions: Sessions,
): Promise<AdminSession | undefined> {
  const cookie = getCookie(c, config.admin.session.cookieName);
  return cookie === undefined ? undefined : await sessions.read(cookie);
}

/**
 * The guard of the admin API: a bearer token or a session, else 401.
 *
 * @param config the config (tokens, cookie name)
 * @param sessions the session manager
 * @returns the middleware
 */
export function apiGuard(config: Config, sessions: Sessions) {
  return createMiddleware<AppEnv>(async function apiGuard(c, next) {
    const header = c.req.header("authorization");
    const tokenActor = await _tokenActor(config, header);
    const session =
      tokenActor === undefined && header === undefined ? await sessionOf(c, config, sessions) : undefined;
    const actor = tokenActor ?? session?.user;
    if (actor === undefined) {
      c.header("WWW-Authenticate", 'Bearer realm="mailreg admin"');
      throw new MailregError("UNAUTHENTICATED", "An admin API token or an admin session is required");
    }
    c.set("actor", actor);
    c.set("session", session);
    await next();
  });
}

/**
 * The guard of the admin pages: a session, else a redirect to the login page; on POST the form's
 * `_csrf` must be the session's token, else 403.
 *
 * @param config the config (cookie name)
 * @param sessions the session manager
 * @returns the middleware
 */
export function pageGuard(config: Config, sessions: Sessions) {
  return createMiddleware<AppEnv>(async function pageGuard(c, next) {
    const session = await sessionOf(c, config, sessions);
    if (session === undefined) {
      const next = appUrl(c);
      return c.redirect(
        hrefOf(c, `/admin/login?next=${encodeURIComponent(next.pathname + next.search)}`),
        303,
      );
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody({ all: true });
      if (form._csrf !== session.csrf) {
        throw new MailregError("FORBIDDEN", "The form's CSRF token is missing or wrong: reload the page");
      }
    }
    c.set("actor", session.user);
    c.set("session", session);
    await next();
  });
}
