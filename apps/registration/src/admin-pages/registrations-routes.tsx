/** @jsxImportSource hono/jsx */
/**
 * The registrations page and its Apply / Reject form.
 *
 * @module
 */
import { isMailregError, REGISTRATION_STATUSES, type RegistrationStatus } from "@mailreg/core";
import { type MailboxChange, searchRegistrations } from "@mailreg/store";
import type { Hono } from "hono";
import { applyOne, rejectOne } from "../admin/decide.ts";
import type { AppContext } from "../app-context.ts";
import { hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { type Flash, setFlash } from "../http/flash.ts";
import { renderPage } from "../http/render.ts";
import type { Translate } from "../i18n/i18n.ts";
import { RegistrationsPage } from "../views/admin/registrations-page.tsx";
import { formOf, pageBase, safeBack, textOf } from "./page-base.ts";

const _PAGE = 50;

async function _decide(
  ctx: AppContext,
  t: Translate,
  id: string,
  action: string,
  instance: string,
  actor: string,
  replace: boolean,
): Promise<Flash> {
  try {
    if (action === "apply") {
      const r = await applyOne(ctx, { id, instance, actor, replace });
      ctx.metrics.applied.inc();
      const how = t(r.created ? "admin.reg.created" : "admin.reg.updated");
      return {
        kind: "ok",
        text: t("admin.reg.applied", {
          address: r.registration.address,
          instance: r.mailbox.instanceId,
          action: how,
        }),
      };
    }
    const r = await rejectOne(ctx, { id, actor });
    ctx.metrics.rejected.inc();
    return { kind: "ok", text: t("admin.reg.rejectedOne", { address: r.address }) };
  } catch (error) {
    if (!isMailregError(error)) throw error;
    const changes =
      error.code === "CONFLICT" ? (error.details?.changes as MailboxChange[] | undefined) : undefined;
    if (changes !== undefined) {
      return {
        kind: "error",
        text: t("admin.reg.wouldReplace", {
          address: String(error.details?.address ?? id),
          changes: changes
            .map((c) =>
              c.field === "secret"
                ? t("admin.reg.secretReplaced")
                : `${c.field}: ${c.from ?? "—"} → ${c.to ?? "—"}`,
            )
            .join("; "),
        }),
      };
    }
    return { kind: "error", text: t("admin.reg.failed", { address: id, message: error.message }) };
  }
}

/**
 * Adds /admin/registrations and /admin/registrations/decide (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function registrationsRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/registrations", async (c) => {
    const asked = c.req.query("status");
    const status = (REGISTRATION_STATUSES as readonly string[]).includes(asked ?? "")
      ? (asked as RegistrationStatus)
      : undefined;
    const query = (c.req.query("q") ?? "").slice(0, 200);
    const before = c.req.query("before");
    const registrations = await searchRegistrations(ctx.store, {
      limit: _PAGE,
      query,
      ...(status === undefined ? {} : { status }),
      ...(before === undefined ? {} : { before }),
    });
    const next = registrations.length === _PAGE ? registrations.at(-1)?.id : undefined;
    const page = (
      <RegistrationsPage
        {...pageBase(c)}
        config={ctx.config}
        timeZone={ctx.timeZone}
        status={status}
        query={query}
        registrations={registrations}
        next={next}
      />
    );
    return renderPage(c, page);
  });
  app.post("/admin/registrations/decide", async (c) => {
    const form = await formOf(c);
    const t = c.get("t");
    const raw = form.ids;
    const ids = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const action = textOf(form, "action") === "reject" ? "reject" : "apply";
    const flash: Flash[] = [];
    for (const id of ids.slice(0, 500)) {
      const replace = textOf(form, "replace") === "1";
      flash.push(await _decide(ctx, t, id, action, textOf(form, "instance"), c.get("actor"), replace));
    }
    setFlash(c, ids.length === 0 ? [{ kind: "error", text: t("admin.reg.noneSelected") }] : flash);
    return c.redirect(hrefOf(c, safeBack(textOf(form, "back"), "/admin/registrations")), 303);
  });
}
