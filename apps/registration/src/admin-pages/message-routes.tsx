/** @jsxImportSource hono/jsx */
/**
 * The collected mail in the admin: /admin/mailboxes/:id/messages (folders with counts, search,
 * paging) and /admin/messages/:id (headers, sinks, the body shown safely, attachments).
 *
 * @module
 */
import { isMailregError } from "@mailreg/core";
import { type MessagePart, parseMessage, readPart, safeHtml } from "@mailreg/message";
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
import { sinkKindLabels } from "../connectors.ts";
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
      const raw = await readRawMessage(ctx.store, message.id);
      const parsed = await parseMessage(raw).catch(() => undefined);
      parts = parsed?.parts ?? [];
      const html = parsed?.html ?? null;
      const text = parsed?.text ?? null;
      if (html !== null && (c.req.query("view") !== "text" || text === null)) {
        body = {
          kind: "html",
          safeHtml: await _inlineImages(safeHtml(html), raw, parts),
          hasText: text !== null,
        };
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
        sinkKinds={sinkKindLabels(ctx.config)}
      />,
    );
  });
}

/** Inline images of the message itself, shown as `data:` URLs (nothing is fetched to show them). */
const _INLINE_TYPES = /^image\/(?:png|jpeg|gif|webp)$/;
const _INLINE_MAX = 2 * 1024 * 1024;

/**
 * The safe HTML with each `cid:` image the message carries (PNG, JPEG, GIF or WebP up to 2 MiB)
 * turned into a `data:` URL; other `cid:` references stay and show nothing.
 */
async function _inlineImages(html: string, raw: Uint8Array, parts: readonly MessagePart[]): Promise<string> {
  const byCid = new Map(
    parts
      .filter((p) => p.contentId !== null && _INLINE_TYPES.test(p.contentType) && p.size <= _INLINE_MAX)
      .map((p) => [p.contentId!, p]),
  );
  if (byCid.size === 0) return html;
  const urls = new Map<string, string>();
  for (const match of html.matchAll(/src="cid:([^"]+)"/g)) {
    const cid = match[1]!;
    const part = byCid.get(cid);
    if (part === undefined || urls.has(cid)) continue;
    const { content } = await readPart(raw, part.id);
    let binary = "";
    for (let i = 0; i < content.length; i += 0x8000) {
      binary += String.fromCharCode(...content.subarray(i, i + 0x8000));
    }
    urls.set(cid, `data:${part.contentType};base64,${btoa(binary)}`);
  }
  return html.replace(/src="cid:([^"]+)"/g, (whole, cid: string) => {
    const url = urls.get(cid);
    return url === undefined ? whole : `src="${url}"`;
  });
}
