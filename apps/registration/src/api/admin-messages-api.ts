/**
 * Admin routes over collected mail: a mailbox's folders with counts, its messages (newest first,
 * paged by a stable cursor, searchable), one message's metadata with its sinks and parts, its raw
 * source (streamed, byte-identical) and each decoded part.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getMailbox, getMessageDetail, listMessageFolders, listMessages } from "@mailreg/store";
import { z } from "zod";
import { partDownload, partsOf, rawDownload } from "../admin/message-downloads.ts";
import type { AppContext } from "../app-context.ts";
import type { AppEnv } from "../http/env.ts";
import { adminSecurity, IdParam, jsonContent } from "./route-parts.ts";
import { errorResponses } from "./schemas.ts";

const _Address = z.object({ name: z.string().optional(), address: z.string() }).meta({ id: "MailAddress" });

const _MessageSummary = z
  .object({
    id: z.string(),
    mailboxId: z.string(),
    folder: z.string(),
    messageId: z.string().nullable(),
    subject: z.string(),
    from: z.array(_Address),
    to: z.array(_Address),
    date: z.string().nullable().meta({ description: "The Date header (ISO 8601) when it parsed" }),
    receivedAt: z.string().meta({ description: "When the mail server received it (else when stored)" }),
    storedAt: z.string(),
    size: z.number().int(),
    flags: z.array(z.string()),
    rawPurged: z
      .boolean()
      .meta({ description: "Retention removed the raw source; metadata and search stay" }),
  })
  .meta({ id: "MessageSummary" });

const _Part = z
  .object({
    id: z.string(),
    contentType: z.string(),
    filename: z.string().nullable(),
    size: z.number().int(),
    disposition: z.string().nullable(),
    contentId: z.string().nullable(),
  })
  .meta({ id: "MessagePart" });

const _MessageDetail = _MessageSummary
  .extend({
    envelope: z.object({
      date: z.string().optional(),
      subject: z.string().optional(),
      messageId: z.string().optional(),
      inReplyTo: z.string().optional(),
      from: z.array(_Address),
      sender: z.array(_Address),
      replyTo: z.array(_Address),
      to: z.array(_Address),
      cc: z.array(_Address),
      bcc: z.array(_Address),
    }),
    uidvalidity: z.number().int().nullable(),
    uid: z.number().int().nullable(),
    uidl: z.string().nullable(),
    contentHash: z.string(),
    rawPurgedAt: z.string().nullable(),
    sinks: z.array(
      z.object({
        sink: z.string(),
        state: z.enum(["delivered", "dropped", "failed", "dead-letter"]),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        updatedAt: z.string(),
      }),
    ),
    parts: z
      .array(_Part)
      .nullable()
      .meta({ description: "Attachments and inline parts (null when the raw source was purged)" }),
  })
  .meta({ id: "MessageDetail" });

const _ListQuery = z.object({
  folder: z.string().max(1000).optional(),
  cursor: z.string().max(400).optional().meta({ description: "`nextCursor` of the page before" }),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  q: z
    .string()
    .max(500)
    .optional()
    .meta({ description: "Words anywhere: subject, sender, recipients, body" }),
  from: z.string().max(500).optional().meta({ description: "Words of the sender's name or address" }),
  to: z.string().max(500).optional().meta({ description: "Words of a recipient's name or address" }),
  subject: z.string().max(500).optional(),
  since: z.string().max(40).optional().meta({ description: "Received on or after (YYYY-MM-DD or ISO 8601)" }),
  until: z
    .string()
    .max(40)
    .optional()
    .meta({ description: "Received on or before a date, before a date-time" }),
});

const _binary = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: z.string().meta({ format: "binary" }) } },
});

/**
 * Adds the admin message routes.
 *
 * @param app the app
 * @param ctx the app context
 */
export function adminMessagesApi(app: OpenAPIHono<AppEnv>, ctx: AppContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/mailboxes/{id}/folders",
      tags: ["admin", "messages"],
      summary: "The folders a mailbox has stored messages from, with their counts",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: {
          description: "The folders, INBOX first",
          ...jsonContent(
            z.object({
              mailboxId: z.string(),
              folders: z.array(
                z.object({ folder: z.string(), count: z.number().int(), lastStoredAt: z.string() }),
              ),
            }),
          ),
        },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const mailbox = await getMailbox(ctx.store, c.req.valid("param").id);
      return c.json({ mailboxId: mailbox.id, folders: await listMessageFolders(ctx.store, mailbox.id) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/mailboxes/{id}/messages",
      tags: ["admin", "messages"],
      summary: "A mailbox's messages, newest first, a page at a time; searchable",
      description:
        "Newest first: a plain list by when mailreg stored the messages, a date-range search by when the server " +
        "received them, a text search in the order they were stored. Paging by `cursor` is stable: mail stored " +
        "while a client pages through never shifts a later page; a cursor continues only the search that gave it. " +
        "Text filters match whole words (a trailing `*` matches a prefix); all given filters must match.",
      security: adminSecurity,
      request: { params: IdParam, query: _ListQuery },
      responses: {
        200: {
          description: "A page of messages and the cursor of the next (null on the last page)",
          ...jsonContent(z.object({ messages: z.array(_MessageSummary), nextCursor: z.string().nullable() })),
        },
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const mailbox = await getMailbox(ctx.store, c.req.valid("param").id);
      const query = c.req.valid("query");
      const defined = Object.fromEntries(
        Object.entries(query).filter(([, v]) => v !== undefined && v !== ""),
      );
      return c.json(await listMessages(ctx.store, { ...defined, mailboxId: mailbox.id }), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/messages/{id}",
      tags: ["admin", "messages"],
      summary: "One stored message: envelope, flags, size, folder, received-at, its sinks and its parts",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: { description: "The message's metadata", ...jsonContent(_MessageDetail) },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const detail = await getMessageDetail(ctx.store, c.req.valid("param").id);
      return c.json({ ...detail, parts: await partsOf(ctx.store, detail.id, detail.rawPurged) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/messages/{id}/raw",
      tags: ["admin", "messages"],
      summary: "The raw source of a stored message (byte for byte as collected), streamed",
      security: adminSecurity,
      request: { params: IdParam },
      responses: {
        200: _binary("message/rfc822", "The raw message"),
        ...errorResponses(401, 404),
        410: {
          ...errorResponses(410)[410],
          description: "The retention policy removed the raw source (code MESSAGE_RAW_PURGED)",
        },
      },
    }),
    async (c) => rawDownload(ctx.store, c.req.valid("param").id) as never,
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/messages/{id}/parts/{n}",
      tags: ["admin", "messages"],
      summary: "One attachment or inline part of a stored message, decoded, as a download",
      security: adminSecurity,
      request: {
        params: IdParam.extend({
          n: z
            .string()
            .regex(/^[1-9][0-9]{0,5}$/)
            .meta({ param: { name: "n", in: "path" }, description: "The part's id from `parts`" }),
        }),
      },
      responses: {
        200: _binary("application/octet-stream", "The part, with its own Content-Type and filename"),
        ...errorResponses(400, 401, 404),
        410: {
          ...errorResponses(410)[410],
          description: "The retention policy removed the raw source (code MESSAGE_RAW_PURGED)",
        },
      },
    }),
    async (c) => {
      const { id, n } = c.req.valid("param");
      return (await partDownload(ctx.store, id, n)) as never;
    },
  );
}
