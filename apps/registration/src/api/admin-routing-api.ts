/**
 * Admin routing routes: re-run the current routing rules over a mailbox's stored messages (each
 * message reaches a sink at most once, so running it twice delivers nothing more), and retry a
 * dead letter. Both deliver with the configured sinks and are audited.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { rerouteMailboxAction, retryDeadLetterAction } from "../admin/routing-actions.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { adminSecurity, IdParam, jsonContent } from "./route-parts.ts";
import { errorResponses } from "./schemas.ts";

const _RerouteSchema = z
  .object({
    mailboxId: z.string(),
    address: z.string(),
    messages: z.number().int().describe("Stored messages looked at"),
    delivered: z.number().int().describe("Deliveries made now"),
    failed: z.number().int().describe("Deliveries that failed now (kept as dead letters)"),
    unchanged: z.number().int().describe("Messages the rules send nowhere new"),
    skippedPurged: z.number().int().describe("Messages whose raw source retention purged (never sent again)"),
  })
  .meta({ id: "RerouteSummary" });

const _RetrySchema = z
  .object({
    outcome: z.enum(["delivered", "failed", "skipped"]),
    sink: z.string().describe("The sink's name in the config"),
    lastError: z.string().optional().describe("Why it failed again (never a secret)"),
    reason: z
      .enum(["no-sink", "message-gone", "raw-purged", "not-a-message-event"])
      .optional()
      .describe("Why it was not tried"),
  })
  .meta({ id: "DeadLetterRetry" });

/**
 * Adds POST /api/v1/admin/mailboxes/{id}/reroute and POST /api/v1/admin/dead-letters/{id}/retry.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminRoutingApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/mailboxes/{id}/reroute",
      tags: ["admin"],
      summary: "Re-run the routing rules over a mailbox's stored messages (each reaches a sink at most once)",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "What the re-run did", ...jsonContent(_RerouteSchema) },
        ...errorResponses(401, 404, 409, 503),
      },
    }),
    async (c) =>
      c.json(await rerouteMailboxAction(ctx, { id: c.req.valid("param").id, actor: c.get("actor") }), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/dead-letters/{id}/retry",
      tags: ["admin"],
      summary: "Deliver a dead letter again; delivered, it leaves the list",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "What the retry did", ...jsonContent(_RetrySchema) },
        ...errorResponses(401, 404, 503),
      },
    }),
    async (c) =>
      c.json(await retryDeadLetterAction(ctx, { id: c.req.valid("param").id, actor: c.get("actor") }), 200),
  );
}
