/**
 * The collected mail in the admin: /admin/mailboxes/:id/messages (folders with counts, search,
 * paging) and /admin/messages/:id (headers, sinks, the body shown safely, attachments).
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { type MessagePart, parseMessage, safeHtml } from "@mailreg/message";
import {
  getMailbox,
  getMessageDetail,
  listMessageFolders,
  listMessages,
  type MessagePage as Page,
  readRawMessage,
} from "@mailreg/store";
import type { Hono } from "hono";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { renderPage } from "../http/render.ts";
import { MessagePage, type ShownBody } from "../views/admin/message-page.tsx";
import { type MessageSearch, MessagesPage } from "../views/admin/messages-page.tsx";
import { pageBase } from "./page-base.ts";

const _FIELDS = ["folder", "q", "from", "to", "subject", "since", "until"] as const;

/**
 * Adds the message pages (behind the page guard).
 *
 * @param app the app
 * @param ctx the app context
 */
export function messageRoutes(app: Hono<AppEnv>, ctx: AppContext): void {
  app.get("/admin/mailboxes/:id/messages", async (c) => {
    const mailbox = await getMailbox(ctx.store, c.req.param("id"));
    const search: MessageSearch = {};
    for (const field of _FIELDS) {
      const v = c.req.query(field)?.trim().slice(0, 500);
      if (v !== undefined && v !== "") search[field] = v;
    }
    const cursor = c.req.query("cursor");
    let page: Page;
    const base = pageBase(c);
    try {
      page = await listMessages(ctx.store, {
        ...search,
        mailboxId: mailbox.id,
        limit: 50,
        ...(cursor === undefined || cursor === "" ? {} : { cursor }),
      });
    } catch (error) {
      if (!isMailregError(error) || error.code !== "VALIDATION") throw error;
      page = { messages: [], nextCursor: null };
      base.flash = [...base.flash, { kind: "error", text: error.message }];
    }
    return renderPage(
      c,
      <MessagesPage
        {...base}
        mailbox={{ id: mailbox.id, address: mailbox.address }}
        folders={await listMessageFolders(ctx.store, mailbox.id)}
        search={search}
        messages={page.messages}
        nextCursor={page.nextCursor}
        paged={cursor !== undefined && cursor !== ""}
        timeZone={ctx.timeZone}
      />,
    );
  });
  app.get("/admin/messages/:id", async (c) => {
    const message = await getMessageDetail(ctx.store, c.req.param("id"));
    const mailbox = await getMailbox(ctx.store, message.mailboxId);
    let body: ShownBody;
    let parts: MessagePart[] = [];
    if (message.rawPurgedAt !== null) {
      body = { kind: "purged", at: message.rawPurgedAt };
    } else {
      const parsed = await parseMessage(await readRawMessage(ctx.store, message.id)).catch(() => undefined);
      parts = parsed?.parts ?? [];
      const html = parsed?.html ?? null;
      const text = parsed?.text ?? null;
      if (html !== null && (c.req.query("view") !== "text" || text === null)) {
        body = { kind: "html", safeHtml: safeHtml(html), hasText: text !== null };
      } else if (text !== null) {
        body = { kind: "text", text, hasHtml: html !== null };
      } else {
        body = { kind: "none" };
      }
    }
    return renderPage(
      c,
      <MessagePage
        {...pageBase(c)}
        message={message}
        address={mailbox.address}
        body={body}
        parts={parts}
        timeZone={ctx.timeZone}
      />,
    );
  });
}
