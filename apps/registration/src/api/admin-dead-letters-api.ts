/**
 * Admin dead-letter route: the events a sink gave up on, newest first (read-only; redelivery
 * needs the sinks, which only the worker has).
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { deadLetterViews } from "../admin/dead-letter-view.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { errorResponses } from "./schemas.ts";

const _DeadLetterSchema = z
  .object({
    id: z.string(),
    mailboxId: z.string(),
    address: z.string().nullable(),
    sink: z.string(),
    event: z.string(),
    attempts: z.number().int(),
    lastError: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "DeadLetter" });

/**
 * Adds GET /api/v1/admin/dead-letters.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminDeadLettersApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/dead-letters",
      tags: ["admin"],
      summary: "Dead letters: events a sink gave up on, newest first",
      security: [{ bearer: [] }, { session: [] }],
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: {
        200: {
          description: "The dead letters",
          content: { "application/json": { schema: z.object({ deadLetters: z.array(_DeadLetterSchema) }) } },
        },
        ...errorResponses(401),
      },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      return c.json(
        { deadLetters: await deadLetterViews(ctx.store, limit === undefined ? {} : { limit }) },
        200,
      );
    },
  );
}
