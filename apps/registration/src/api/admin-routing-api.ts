/**
 * Admin routing routes: re-run the current routing rules over a mailbox's stored messages (each
 * message reaches a sink at most once, so running it twice delivers nothing more; while a worker
 * holds the mailbox, that worker does it after its current run), and retry a dead letter. Both deliver with the configured sinks and are audited.
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
    ran: z.literal(true),
    mailboxId: z.string(),
    address: z.string(),
    messages: z.number().int().describe("Stored messages looked at"),
    delivered: z.number().int().describe("Deliveries made now"),
    failed: z.number().int().describe("Deliveries that failed now (kept as dead letters)"),
    unchanged: z.number().int().describe("Messages the rules send nowhere new"),
    skippedPurged: z.number().int().describe("Messages whose raw source retention purged (never sent again)"),
  })
  .meta({ id: "RerouteSummary" });

const _RerouteRequestedSchema = z
  .object({ ran: z.literal(false), requested: z.literal(true), mailboxId: z.string(), address: z.string() })
  .meta({ id: "RerouteRequested" });

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
        202: {
          description:
            "A worker holds the mailbox (collecting it, or watching it with IDLE): it re-runs the rules after its current run",
          ...jsonContent(_RerouteRequestedSchema),
        },
        ...errorResponses(401, 404, 503),
      },
    }),
    async (c) => {
      const r = await rerouteMailboxAction(ctx, { id: c.req.valid("param").id, actor: c.get("actor") });
      return r.ran
        ? c.json(r, 200)
        : c.json(
            { ran: false as const, requested: true as const, mailboxId: r.mailboxId, address: r.address },
            202,
          );
    },
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
