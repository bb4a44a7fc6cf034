/** @jsxImportSource hono/jsx */
/**
 * The mailboxes page, one mailbox's page (collection state and SMTP resolution), and their "check"
 * , "sync now" and "re-run routing rules" buttons.
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { getMailbox, listMailboxes, listOutbox, type Mailbox } from "@mailreg/store";
import type { Hono } from "hono";
import { checkMailbox, requestMailboxSync } from "../admin/mailbox-actions.ts";
import { mailboxDetail, mailboxViews } from "../admin/mailbox-view.ts";
import { rerouteMailboxAction } from "../admin/routing-actions.ts";
import type { AppContext } from "../app-context.ts";
import { hrefOf } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { type Flash, setFlash } from "../http/flash.ts";
import { renderPage } from "../http/render.ts";
import { MailboxPage, type SmtpShown } from "../views/admin/mailbox-page.tsx";
import { MailboxesPage } from "../views/admin/mailboxes-page.tsx";
import { formOf, pageBase, safeBack, textOf } from "./page-base.ts";

/**
 * Adds /admin/mailboxes and its actions (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function mailboxRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/mailboxes", async (c) => {
    const mailboxes = await mailboxViews(ctx.store, await listMailboxes(ctx.store));
    return renderPage(c, <MailboxesPage {...pageBase(c)} mailboxes={mailboxes} timeZone={ctx.timeZone} />);
  });
  app.get("/admin/mailboxes/:id", async (c) => {
    const mailbox = await getMailbox(ctx.store, c.req.param("id"));
    const options = { defaultIntervalSeconds: ctx.config.worker.intervalSeconds, now: ctx.clock() };
    const [detail, smtp, sentCopyFailures] = await Promise.all([
      mailboxDetail(ctx.store, mailbox, options),
      _smtpOf(ctx, mailbox),
      listOutbox(ctx.store, { mailboxId: mailbox.id, sentCopyFailed: true, limit: 20 }),
    ]);
    return renderPage(
      c,
      <MailboxPage
        {...pageBase(c)}
        mailbox={detail}
        smtp={smtp}
        timeZone={ctx.timeZone}
        sentCopyFailures={sentCopyFailures}
      />,
    );
  });
  app.post("/admin/mailboxes/:id/:action{check|sync|reroute}", async (c) => {
    const t = c.get("t");
    const input = { id: c.req.param("id"), actor: c.get("actor") };
    let flash: Flash;
    try {
      if (c.req.param("action") === "check") {
        const r = await checkMailbox(ctx, input);
        const failed = r.steps.find((s) => !s.ok);
        flash = r.ok
          ? { kind: "ok", text: t("admin.mb.checkOk", { address: r.address }) }
          : {
              kind: "error",
              text: t("admin.mb.checkFailed", {
                address: r.address,
                message:
                  failed?.step === "oauth"
                    ? t(failed.reason === "auth" ? "admin.mb.grantAgain" : "admin.mb.oauthFailed")
                    : t(`field.${_FIELD[failed?.reason ?? "protocol"]}`),
              }),
            };
      } else if (c.req.param("action") === "reroute") {
        const r = await rerouteMailboxAction(ctx, input);
        flash = !r.ran
          ? { kind: "ok", text: t("admin.mb.rerouteRequested", { address: r.address }) }
          : {
              kind: r.failed > 0 ? "error" : "ok",
              text: t("admin.mb.rerouted", {
                address: r.address,
                messages: String(r.messages),
                delivered: String(r.delivered),
                failed: String(r.failed),
              }),
            };
      } else {
        const r = await requestMailboxSync(ctx, input);
        flash = { kind: "ok", text: t("admin.mb.syncRequested", { address: r.address }) };
      }
    } catch (error) {
      if (!isMailregError(error)) throw error;
      flash = { kind: "error", text: error.message };
    }
    setFlash(c, [flash]);
    return c.redirect(hrefOf(c, safeBack(textOf(await formOf(c), "back"), "/admin/mailboxes")), 303);
  });
}

/** The mailbox's SMTP resolution, or why there is none (a resolver's refusal is shown, not thrown). */
async function _smtpOf(ctx: AppContext, mailbox: Mailbox): Promise<SmtpShown> {
  if (ctx.resolveSmtp === undefined) return undefined;
  try {
    return await ctx.resolveSmtp(mailbox.address, { instanceId: mailbox.instanceId });
  } catch (error) {
    if (!isMailregError(error)) throw error;
    return { error: error.message };
  }
}

const _FIELD = {
  auth: "login-refused",
  unreachable: "unreachable",
  tls: "tls",
  protocol: "protocol",
} as const;
