/**
 * Admin registration routes: list (filter, search, pages), show, apply, reject.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getRegistration, searchRegistrations } from "@mailreg/store";
import { z } from "zod";
import { applyOne, rejectOne } from "../admin/decide.ts";
import { mailboxFields } from "../admin/mailbox-view.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { adminSecurity, IdParam, jsonContent } from "./route-parts.ts";
import { AppliedSchema, errorResponses, RegistrationSchema, StatusSchema } from "./schemas.ts";

/**
 * Adds the admin registration routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminRegistrationsApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  const base = "/api/v1/admin/registrations";
  app.openapi(
    createRoute({
      method: "get",
      path: base,
      tags: ["admin"],
      summary: "Registrations, newest first",
      security: adminSecurity,
      request: {
        query: z.object({
          status: StatusSchema.optional(),
          q: z
            .string()
            .max(200)
            .optional()
            .meta({ description: "Text in the address, display name or login" }),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
          before: z.string().max(64).optional().meta({ description: "The `next` of the previous page" }),
        }),
      },
      responses: {
        200: {
          description: "One page",
          ...jsonContent(
            z.object({ registrations: z.array(RegistrationSchema), next: z.string().nullable() }),
          ),
        },
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { status, q, limit = 100, before } = c.req.valid("query");
      const registrations = await searchRegistrations(ctx.store, {
        limit,
        ...(status === undefined ? {} : { status }),
        ...(q === undefined ? {} : { query: q }),
        ...(before === undefined ? {} : { before }),
      });
      const next = registrations.length === limit ? (registrations.at(-1)?.id ?? null) : null;
      return c.json({ registrations, next }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/{id}`,
      tags: ["admin"],
      summary: "One registration",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "The registration", ...jsonContent(RegistrationSchema) },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => c.json(await getRegistration(ctx.store, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{id}/apply`,
      tags: ["admin"],
      summary: "Apply a pending registration to an instance",
      description:
        "Opens the sealed profile (the server needs a registry private key) and creates the instance's " +
        "mailbox of that address. When the address already has a mailbox there, the answer is 409 " +
        "CONFLICT with `details.changes` (login, server, auth method, secret replaced) unless " +
        '`"replace": true` confirms the replacement, which the audit log records. `instance` may be left ' +
        "out when only one instance is configured.",
      security: adminSecurity,
      request: {
        params: IdParam,
        body: {
          ...jsonContent(
            z.strictObject({
              instance: z.string().max(64).optional(),
              replace: z
                .boolean()
                .optional()
                .describe("Confirms replacing an existing mailbox of the address"),
            }),
          ),
          required: false,
        },
      },
      responses: {
        200: { description: "Applied", ...jsonContent(AppliedSchema) },
        ...errorResponses(400, 401, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = (c.req.valid("json") as { instance?: string; replace?: boolean } | undefined) ?? {};
      const result = await applyOne(ctx, {
        id,
        instance: body.instance,
        actor: c.get("actor"),
        replace: body.replace,
      });
      ctx.metrics.applied.inc();
      return c.json(
        {
          registration: result.registration,
          mailbox: mailboxFields(result.mailbox),
          created: result.created,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{id}/reject`,
      tags: ["admin"],
      summary: "Reject a pending registration",
      security: adminSecurity,
      request: {
        params: IdParam,
        body: {
          ...jsonContent(z.strictObject({ reason: z.string().max(1000).optional() })),
          required: false,
        },
      },
      responses: {
        200: { description: "Rejected", ...jsonContent(RegistrationSchema) },
        ...errorResponses(400, 401, 404, 409),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = (c.req.valid("json") as { reason?: string } | undefined) ?? {};
      const registration = await rejectOne(ctx, { id, actor: c.get("actor"), reason: body.reason });
      ctx.metrics.rejected.inc();
      return c.json(registration, 200);
    },
  );
}
