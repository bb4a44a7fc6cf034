/** @jsxImportSource hono/jsx */
/**
 * Read-only admin pages: instances and server templates, and the audit log.
 *
 * @module
 */
import { listRecentAudit } from "@mailreg/store";
import type { Hono } from "hono";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { renderPage } from "../http/render.ts";
import { AuditPage } from "../views/admin/audit-page.tsx";
import { ConfigPage } from "../views/admin/config-page.tsx";
import { pageBase } from "./page-base.ts";

const _PAGE = 100;

/**
 * Adds /admin/config and /admin/audit (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function infoRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/config", (c) => renderPage(c, <ConfigPage {...pageBase(c)} config={ctx.config} />));
  app.get("/admin/audit", async (c) => {
    const before = Number(c.req.query("before"));
    const entries = await listRecentAudit(
      ctx.store,
      Number.isInteger(before) && before > 0 ? { limit: _PAGE, before } : { limit: _PAGE },
    );
    const older = entries.length === _PAGE ? entries.at(-1)?.id : undefined;
    return renderPage(
      c,
      <AuditPage {...pageBase(c)} entries={entries} before={older} timeZone={ctx.timeZone} />,
    );
  });
}
