/**
 * `GET|PUT /api/v1/admin/registration-window`: where registration stands, open/close by hand, or
 * set the schedule. Every change is audited.
 *
 * @module
 */

import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { setOpenNow } from "@mailreg/store";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { readWindowState, setSchedule } from "../windows/window-store.ts";
import { adminSecurity } from "./route-parts.ts";
import { errorResponses, WindowChangeSchema, WindowStateSchema } from "./schemas.ts";

const _state = { content: { "application/json": { schema: WindowStateSchema } } };

/**
 * Adds the registration window routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminWindowApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  const path = "/api/v1/admin/registration-window";
  app.openapi(
    createRoute({
      method: "get",
      path,
      tags: ["admin"],
      summary: "Where registration stands",
      security: adminSecurity,
      responses: { 200: { description: "The state", ..._state }, ...errorResponses(401) },
    }),
    async (c) => c.json(await readWindowState(ctx.store, ctx.config, ctx.clock()), 200),
  );
  app.openapi(
    createRoute({
      method: "put",
      path,
      tags: ["admin"],
      summary: "Open or close registration, or set its schedule",
      security: adminSecurity,
      request: { body: { content: { "application/json": { schema: WindowChangeSchema } }, required: true } },
      responses: { 200: { description: "The new state", ..._state }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const change = c.req.valid("json");
      const by = { actor: c.get("actor"), now: ctx.clock() };
      if ("open" in change) await setOpenNow(ctx.store, change.open, by);
      else await setSchedule(ctx.store, change.windows, by);
      ctx.windows.changed();
      return c.json(await readWindowState(ctx.store, ctx.config, ctx.clock()), 200);
    },
  );
}
