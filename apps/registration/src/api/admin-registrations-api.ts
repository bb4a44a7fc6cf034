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
import { AppliedSchema, errorResponses, RegistrationSchema, StatusSchema } from "./schemas.ts";

const _security = [{ bearer: [] }, { session: [] }];
const _json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const _IdParam = z.object({
  id: z
    .string()
    .max(64)
    .meta({ param: { name: "id", in: "path" } }),
});

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
      security: _security,
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
          ..._json(z.object({ registrations: z.array(RegistrationSchema), next: z.string().nullable() })),
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
      security: _security,
      request: { params: _IdParam },
      responses: {
        200: { description: "The registration", ..._json(RegistrationSchema) },
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
        "mailbox of that address, or updates its credentials when it exists. `instance` may be left out " +
        "when only one instance is configured.",
      security: _security,
      request: {
        params: _IdParam,
        body: { ..._json(z.strictObject({ instance: z.string().max(64).optional() })), required: false },
      },
      responses: {
        200: { description: "Applied", ..._json(AppliedSchema) },
        ...errorResponses(400, 401, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = (c.req.valid("json") as { instance?: string } | undefined) ?? {};
      const result = await applyOne(ctx, { id, instance: body.instance, actor: c.get("actor") });
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
      security: _security,
      request: {
        params: _IdParam,
        body: { ..._json(z.strictObject({ reason: z.string().max(1000).optional() })), required: false },
      },
      responses: {
        200: { description: "Rejected", ..._json(RegistrationSchema) },
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
