/**
 * One log line and the metrics for every request: method, path (no query), status, time, request id.
 * Never a body, a query string or a header value.
 *
 * Only hono's public, stable API is used on the request (`c.req.method`, `c.req.path`, `c.res`):
 * mounted in a host app, the context is the host's, from whatever hono version it runs. The route
 * label of the metrics is found by matching the path inside the app against the app's own routes.
 *
 * @module
 */

import type { Logger } from "@mailreg/core";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import type { AppMetrics } from "../metrics.ts";
import { appPath } from "./base-path.tsx";
import type { AppEnv } from "./env.ts";

/** What is logged of one request. */
export interface RequestLogEntry {
  method: string;
  /** The request path as the client sent it (under the host's prefix when mounted), no query. */
  path: string;
  status: number;
  /** Time to the response, in milliseconds (one decimal). */
  ms: number;
  requestId: string | undefined;
}

/**
 * Where request log entries go: a function, or a logger in pino's shape (`info(object, message)`:
 * pino, and the loggers made like it) that gets `info(entry, "request")`.
 */
export type RequestLogSink =
  | ((entry: RequestLogEntry) => void)
  | { info: (entry: RequestLogEntry, message?: string) => void };

/** The routes of an app, as `app.routes` lists them. */
interface _Routes {
  readonly routes: readonly { method: string; path: string }[];
}

/**
 * The route pattern a path inside the app matches, for the metrics' `route` label.
 *
 * @param app the app whose routes count (read at the first call, when all are added)
 * @returns the lookup: the pattern, or undefined when no route matches
 */
export function routeLabels(app: _Routes): (method: string, path: string) => string | undefined {
  let router: SmartRouter<string> | undefined;
  return (method, path) => {
    if (router === undefined) {
      router = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] });
      // middleware is registered for every method ("ALL"); a route answers one
      for (const r of app.routes) if (r.method !== "ALL") router.add(r.method, r.path, r.path);
    }
    const [matches] = router.match(method === "HEAD" ? "GET" : method, path);
    return matches.at(-1)?.[0];
  };
}

/**
 * Turns the app's `requestLog` option into a writer.
 *
 * @param option `false` for none, a {@link RequestLogSink}, or undefined for the default
 * @param logger the app's logger: the default writes a line "request" with the entry's fields to it
 * @returns the writer, or undefined for none
 */
export function requestLogWriter(
  option: RequestLogSink | false | undefined,
  logger: Logger,
): ((entry: RequestLogEntry) => void) | undefined {
  if (option === false) return undefined;
  if (option === undefined) return (entry) => logger.info("request", { ...entry });
  if (typeof option === "function") return option;
  return (entry) => option.info(entry, "request");
}

/**
 * The request log middleware.
 *
 * @param write where entries go; undefined: nowhere
 * @param metrics where requests are counted (always)
 * @param app the app, whose routes name the metrics' `route` label
 * @returns the middleware
 */
export function requestLog(
  write: ((entry: RequestLogEntry) => void) | undefined,
  metrics: AppMetrics,
  app: _Routes,
): MiddlewareHandler<AppEnv> {
  const routeOf = routeLabels(app);
  return createMiddleware<AppEnv>(async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    const route = (status === 404 ? undefined : routeOf(c.req.method, appPath(c))) ?? "(unmatched)";
    metrics.requests.inc({ method: c.req.method, route, status: String(status) });
    metrics.requestSeconds.observe({ method: c.req.method, route }, seconds);
    write?.({
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      requestId: c.get("requestId"),
    });
  });
}
