/**
 * One log line and the metrics for every request: method, path (no query), status, time, request id.
 * Never a body, a query string or a header value.
 *
 * @module
 */

import type { Logger } from "@mailreg/core";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppMetrics } from "../metrics.ts";
import type { AppEnv } from "./env.ts";

/**
 * The request log middleware.
 *
 * @param logger where the line goes
 * @param metrics where requests are counted
 * @returns the middleware
 */
export function requestLog(logger: Logger, metrics: AppMetrics) {
  return createMiddleware<AppEnv>(async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.res.status === 404 ? "(unmatched)" : routePath(c, -1);
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.requestSeconds.observe({ method: c.req.method, route }, seconds);
    logger.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 10_000) / 10,
      requestId: c.get("requestId"),
    });
  });
}
