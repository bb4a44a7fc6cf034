/**
 * `POST /api/v1/registrations`: the registration form as JSON.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { refusalCounter } from "../http/refusal-counter.ts";
import { RegistrationBodySchema } from "../submit/registration-body.ts";
import { acceptRegistration, invalidBodyError } from "../submit/submit-registration.ts";
import { windowGuard } from "../windows/window-guard.ts";
import { errorResponses, SubmittedSchema } from "./schemas.ts";

/**
 * Adds the public API routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function publicApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/registrations",
      tags: ["registration"],
      summary: "Register a mailbox",
      description:
        "Checks the registration (and, where the config says so, logs in to the server), seals the whole " +
        "connection profile with the registry public key and stores it as pending. The answer never " +
        "contains the password, and is the same whether the address was registered before or not.",
      middleware: [refusalCounter(ctx.metrics), rateLimit(ctx.submitLimiter), windowGuard(ctx)] as const,
      request: {
        body: { content: { "application/json": { schema: RegistrationBodySchema } }, required: true },
      },
      responses: {
        201: {
          description: "Stored as pending",
          content: { "application/json": { schema: SubmittedSchema } },
        },
        ...errorResponses(400, 403, 413, 422, 429, 503),
      },
    }),
    async (c) => {
      const { id, receivedAt } = await acceptRegistration(ctx, c.req.valid("json"));
      ctx.metrics.received.inc();
      return c.json({ id, status: "pending" as const, receivedAt }, 201);
    },
    (result) => {
      if (!result.success)
        throw invalidBodyError(result.error.issues, (result as { data?: unknown }).data, ctx.config);
    },
  );
}
