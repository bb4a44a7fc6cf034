/**
 * Admin mailbox routes: list (with sync state), show (also with how its collection stands: last
 * run, status, fetched, last error, next due and why), check (log in), sync now.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getMailbox, listMailboxes } from "@mailreg/store";
import { z } from "zod";
import { checkMailbox, requestMailboxSync } from "../admin/mailbox-actions.ts";
import { mailboxDetail, mailboxViews } from "../admin/mailbox-view.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { adminSecurity, IdParam, jsonContent } from "./route-parts.ts";
import { errorResponses, MailboxCheckSchema, MailboxDetailSchema, MailboxSchema } from "./schemas.ts";

/**
 * Adds the admin mailbox routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminMailboxesApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  const base = "/api/v1/admin/mailboxes";
  app.openapi(
    createRoute({
      method: "get",
      path: base,
      tags: ["admin"],
      summary: "Mailboxes with their sync state",
      security: adminSecurity,
      request: { query: z.object({ instance: z.string().max(64).optional() }) },
      responses: {
        200: {
          description: "The mailboxes",
          ...jsonContent(z.object({ mailboxes: z.array(MailboxSchema) })),
        },
        ...errorResponses(401),
      },
    }),
    async (c) => {
      const { instance } = c.req.valid("query");
      const list = await listMailboxes(ctx.store, instance === undefined ? {} : { instanceId: instance });
      return c.json({ mailboxes: await mailboxViews(ctx.store, list) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/{id}`,
      tags: ["admin"],
      summary: "One mailbox with its sync state and when it is collected next",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "The mailbox", ...jsonContent(MailboxDetailSchema) },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const mailbox = await getMailbox(ctx.store, c.req.valid("param").id);
      const options = { defaultIntervalSeconds: ctx.config.worker.intervalSeconds, now: ctx.clock() };
      return c.json(await mailboxDetail(ctx.store, mailbox, options), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{id}/check`,
      tags: ["admin"],
      summary: "Check a mailbox: log in with its credentials",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "Each step and whether it worked", ...jsonContent(MailboxCheckSchema) },
        ...errorResponses(401, 404, 503),
      },
    }),
    async (c) => c.json(await checkMailbox(ctx, { id: c.req.valid("param").id, actor: c.get("actor") }), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{id}/sync`,
      tags: ["admin"],
      summary: "Collect a mailbox now",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        202: {
          description: "The worker was asked to collect it",
          ...jsonContent(
            z.object({ mailboxId: z.string(), address: z.string(), requested: z.literal(true) }),
          ),
        },
        ...errorResponses(401, 404, 503),
      },
    }),
    async (c) => {
      const done = await requestMailboxSync(ctx, { id: c.req.valid("param").id, actor: c.get("actor") });
      return c.json({ ...done, requested: true as const }, 202);
    },
  );
}
