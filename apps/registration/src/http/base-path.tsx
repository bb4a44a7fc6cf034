/** @jsxImportSource hono/jsx */
/**
 * The app under a path prefix: `host.route("/mail", app)` serves every route under `/mail`, and
 * every link, form action, redirect and cookie path the app makes carries that prefix.
 *
 * Routes and views speak in paths inside the app (`/register`, `/admin/login`); the prefix is added
 * where a path leaves the app: {@link hrefOf} for redirects and cookie paths, {@link link} in views
 * (rendered inside {@link withBasePath} by `renderPage`). The prefix is found per request from the
 * route the host matched ({@link mountPoint}), with nothing but hono's public API, so it works
 * whatever hono version the host runs and under a prefix with parameters (`/:tenant/mail`).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { createContext, useContext } from "hono/jsx";
import type { JSX } from "hono/jsx/jsx-runtime";

/** The name of the path parameter that holds the rest of the path after the prefix. */
const _REST = "mailregPathInApp";

/** The patterns {@link mountPoint} is registered at: the app's root, and every path below it. */
export const MOUNT_POINT_PATTERNS = ["/", `/:${_REST}{.+}`] as const;

/**
 * The middleware that finds the prefix the app is served under and keeps it in `basePath`
 * ("" at the root). Register it first, at each of {@link MOUNT_POINT_PATTERNS}.
 *
 * @returns the middleware
 */
export function mountPoint(): MiddlewareHandler<{ Variables: { basePath: string } }> {
  return async function mountPoint(c, next) {
    c.set("basePath", _prefix(c.req.path, c.req.param(_REST)));
    await next();
  };
}

function _prefix(path: string, rest: string | undefined): string {
  // at the app's root: the whole path is the prefix ("/mail" or "/mail/"; "/" alone is no prefix)
  if (rest === undefined) return path.replace(/\/+$/, "");
  if (path.endsWith(`/${rest}`)) return path.slice(0, path.length - rest.length - 1);
  // the parameter is decoded, the path may not be (e.g. %2F)
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return "";
  }
  return decoded.endsWith(`/${rest}`) ? decoded.slice(0, decoded.length - rest.length - 1) : "";
}

/**
 * The prefix the app is served under.
 *
 * @param c the request context
 * @returns "" at the root, else e.g. "/mail"
 */
export function basePath(c: Context): string {
  return (c.get("basePath") as string | undefined) ?? "";
}

/**
 * A path inside the app as the browser must ask for it.
 *
 * @param c the request context
 * @param path a path inside the app, e.g. `/register?done=1`
 * @returns the path under the app's prefix, e.g. `/mail/register?done=1`
 * @example
 * ```ts ignore
 * return c.redirect(hrefOf(c, "/admin/login"), 303);
 * ```
 */
export function hrefOf(c: Context, path: string): string {
  return _join(basePath(c), path);
}

/**
 * The request's path inside the app.
 *
 * @param c the request context
 * @returns e.g. `/register` for `/mail/register` under `/mail`
 */
export function appPath(c: Context): string {
  return _strip(basePath(c), c.req.path);
}

/**
 * The request's URL with its path inside the app: what views get as `url` (their links, the
 * language switch and the "back" fields are paths inside the app).
 *
 * @param c the request context
 * @returns the URL
 */
export function appUrl(c: Context): URL {
  const url = new URL(c.req.url);
  url.pathname = _strip(basePath(c), url.pathname);
  return url;
}

/** The prefix of the page being rendered (see {@link withBasePath}). */
const _BasePath = createContext("");

/**
 * A page whose {@link link}s carry the prefix.
 *
 * @param prefix the app's prefix ("" at the root)
 * @param page the page
 * @returns the page inside the prefix's context
 */
export function withBasePath(prefix: string, page: JSX.Element): JSX.Element {
  return <_BasePath.Provider value={prefix}>{page}</_BasePath.Provider>;
}

/**
 * In a view: a path inside the app as the browser must ask for it (the page is rendered by
 * `renderPage`, which knows the prefix).
 *
 * @param path a path inside the app, e.g. `/admin/window`
 * @returns e.g. `/mail/admin/window`
 */
export function link(path: string): string {
  return _join(useContext(_BasePath), path);
}

function _join(prefix: string, path: string): string {
  if (prefix === "" || !path.startsWith("/") || path.startsWith("//")) return path;
  return path === "/" ? prefix : `${prefix}${path}`;
}

function _strip(prefix: string, path: string): string {
  if (prefix === "" || !path.startsWith(prefix)) return path;
  const rest = path.slice(prefix.length);
  return rest === "" ? "/" : rest.startsWith("/") ? rest : path;
}
