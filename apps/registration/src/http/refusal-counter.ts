/**
 * Counts refused registration submissions by error code (`mailreg_registrations_refused_total`).
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { createMiddleware } from "hono/factory";
import type { AppMetrics } from "../metrics.ts";
import type { AppEnv } from "./env.ts";

/**
 * Counts one refusal.
 *
 * @param metrics the metrics
 * @param error what refused it
 */
export function countRefusal(metrics: AppMetrics, error: unknown): void {
  metrics.refused.inc({ reason: isMailregError(error) ? error.code : "INTERNAL" });
}

/**
 * Route middleware counting the errors of everything after it (rate limit, window, validation).
 *
 * @param metrics the metrics
 * @returns the middleware
 */
export function refusalCounter(metrics: AppMetrics) {
  return createMiddleware<AppEnv>(async function refusalCounter(c, next) {
    await next();
    if (c.error !== undefined) countRefusal(metrics, c.error);
  });
}
