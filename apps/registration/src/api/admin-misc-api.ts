/**
 * Admin routes for the audit log and SMTP resolution.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { MailregError, normalizeAddress } from "@mailreg/core";
import { listRecentAudit } from "@mailreg/store";
import { z } from "zod";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { adminSecurity } from "./route-parts.ts";
import { AuditEntrySchema, errorResponses, SmtpResolutionSchema } from "./schemas.ts";

/**
 * Adds the audit and SMTP routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminMiscApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/audit",
      tags: ["admin"],
      summary: "The audit log, newest first",
      security: adminSecurity,
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).optional(),
          before: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .meta({ description: "The `next` of the previous page" }),
        }),
      },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z.object({ entries: z.array(AuditEntrySchema), next: z.number().nullable() }),
            },
          },
        },
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { limit = 100, before } = c.req.valid("query");
      const entries = await listRecentAudit(ctx.store, before === undefined ? { limit } : { limit, before });
      return c.json({ entries, next: entries.length === limit ? (entries.at(-1)?.id ?? null) : null }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/smtp/resolve",
      tags: ["admin"],
      summary: "Which SMTP settings an address sends with, and why",
      description:
        "The precedence chain mailbox → company → instance → default for the mailbox of the address: the level that won, why each earlier one was passed over, and the warnings (`danger` ones expose the mail or the password).",
      security: adminSecurity,
      request: {
        query: z.object({
          address: z.string().min(1).max(320),
          instance: z
            .string()
            .max(64)
            .optional()
            .meta({ description: "Needed when the address has mailboxes in several instances" }),
        }),
      },
      responses: {
        200: {
          description: "The resolution",
          content: { "application/json": { schema: SmtpResolutionSchema } },
        },
        ...errorResponses(400, 401, 404, 409, 503),
      },
    }),
    async (c) => {
      const { instance } = c.req.valid("query");
      const address = normalizeAddress(c.req.valid("query").address);
      if (ctx.resolveSmtp === undefined) {
        throw new MailregError("DEPENDENCY_MISSING", "SMTP resolution is not available on this server");
      }
      return c.json(
        await ctx.resolveSmtp(address, instance === undefined ? {} : { instanceId: instance }),
        200,
      );
    },
  );
}
