/** @jsxImportSource hono/jsx */
/**
 * Health, metrics, the OpenAPI document and the API docs page.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppContext } from "../app-context.ts";
import { apiGuard } from "../auth/admin-guard.ts";
import { appUrl, basePath } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { renderPage } from "../http/render.ts";
import { DocsPage, type OpenApiDocument } from "./docs-page.tsx";
import { adminSecurity } from "./route-parts.ts";

/**
 * The OpenAPI 3.1 document of the app.
 *
 * @param app the app, its routes registered
 * @param base the prefix the app is served under: named as the server (`servers: [{url}]`) when not ""
 * @returns the document
 */
export function openApiDocument(
  app: OpenAPIHono<AppEnv>,
  base = "",
): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    ...(base === "" ? {} : { servers: [{ url: base }] }),
    info: {
      title: "mailreg API",
      version: "1",
      description: "Register external mailboxes; review, apply and reject them; follow their collection.",
    },
    tags: [
      { name: "registration", description: "The public registration" },
      { name: "admin", description: "Needs an API token (Bearer) or an admin session" },
      { name: "meta", description: "Health, metrics and this description" },
    ],
  });
}

/**
 * Adds /healthz, /metrics, /api/v1/openapi.json and /api/v1/docs.
 *
 * @param app the app
 * @param ctx the app context
 */
export function metaApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An admin API token (`mailreg init` prints the first)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: ctx.config.admin.session.cookieName,
    description: "The admin session cookie set by signing in at /admin/login",
  });
  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["meta"],
      summary: "Whether the app and its database answer",
      responses: {
        200: {
          description: "Healthy",
          content: {
            "application/json": { schema: z.object({ status: z.literal("ok"), publicKeyOnly: z.boolean() }) },
          },
        },
        503: { description: "The database does not answer" },
      },
    }),
    async (c) => {
      await ctx.store.client.execute("select 1");
      return c.json({ status: "ok" as const, publicKeyOnly: ctx.keyring.privateKeys.size === 0 }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags: ["meta"],
      summary:
        "Prometheus metrics (needs an admin API token or session: they name the traffic and the queue)",
      security: adminSecurity,
      middleware: [apiGuard(ctx.config, ctx.sessions)] as const,
      responses: {
        200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } },
        401: { description: "No admin API token or session" },
      },
    }),
    async (c) => {
      const state = await ctx.windows.state();
      ctx.metrics.windowOpen.set(state.open ? 1 : 0);
      const text = await ctx.metrics.registry.metrics();
      return c.text(text, 200, { "Content-Type": ctx.metrics.registry.contentType });
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/openapi.json",
      tags: ["meta"],
      summary: "This API's OpenAPI 3.1 document",
      responses: {
        200: { description: "The document", content: { "application/json": { schema: z.unknown() } } },
      },
    }),
    (c) => c.json(openApiDocument(app, basePath(c)) as unknown as Record<string, unknown>, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/docs",
      tags: ["meta"],
      summary: "This API's documentation as a page",
      responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } },
    }),
    async (c) => {
      const doc = openApiDocument(app, basePath(c)) as unknown as OpenApiDocument;
      return (await renderPage(
        c,
        <DocsPage doc={doc} t={c.get("t")} locale={c.get("locale")} url={appUrl(c)} />,
      )) as never;
    },
  );
}
