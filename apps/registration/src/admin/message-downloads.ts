/**
 * Downloads of stored messages for the admin API and pages: the raw source streamed from the
 * database in chunks (byte-identical, `message/rfc822`), one decoded part with its content type and
 * a safe `Content-Disposition`, and the strict Content-Security-Policy of everything that shows or
 * serves message content.
 *
 * @module
 */
import { type MessagePart, parseMessage, readPart } from "@mailreg/message";
import { rawMessageStream, readRawMessage, type Store } from "@mailreg/store";
import type { MiddlewareHandler } from "hono";
import { appPath } from "../http/base-path.tsx";

/**
 * The policy of pages and downloads that carry message content: nothing loads but inline styles and
 * `data:` images, no script runs (also sandboxed), nothing may frame it.
 */
export const MESSAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'; sandbox allow-forms allow-same-origin allow-downloads allow-popups allow-popups-to-escape-sandbox";

/**
 * Middleware that puts {@link MESSAGE_CSP} on the responses of message pages and downloads
 * (`/admin/messages/…`, `/api/v1/admin/messages/…`). Register it before the app-wide secure headers
 * so it has the last word.
 *
 * @returns the middleware
 */
export function messageCsp(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (/^\/(?:api\/v1\/)?admin\/messages\//.test(appPath(c))) {
      c.res.headers.set("Content-Security-Policy", MESSAGE_CSP);
    }
  };
}

/**
 * A `Content-Disposition: attachment` value for a filename from a message: path separators, quotes
 * and control characters replaced, an ASCII fallback plus the UTF-8 name (RFC 6266 / RFC 8187).
 *
 * @param filename the decoded filename (may be null or hostile)
 * @param fallback the name when there is none
 * @returns the header value
 * @example
 * ```ts
 * attachmentDisposition('../Über "plan".pdf', "part-1"); // attachment; filename=".._Uber _plan_.pdf"; filename*=UTF-8''..%2F%C3%9Cber%20%22plan%22.pdf — see the tests
 * ```
 */
export function attachmentDisposition(filename: string | null, fallback: string): string {
  const cleaned = [...(filename ?? "")]
    .map((ch) => (ch.charCodeAt(0) < 0x20 || ch === "\u007f" || ch === "/" || ch === "\\" ? "_" : ch))
    .join("")
    .replace(/^[.\s]+/, "")
    .trim()
    .slice(0, 200);
  const name = cleaned === "" ? fallback : cleaned;
  const ascii = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A MIME type that is safe to put in a header, else `application/octet-stream`. */
export function safeContentType(type: string): string {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/.test(type)
    ? type
    : "application/octet-stream";
}

/**
 * The raw source of a stored message as a streamed `message/rfc822` download.
 *
 * @param store the open store
 * @param id the message's row id
 * @returns the response
 * @throws {MailregError} NOT_FOUND, MESSAGE_RAW_PURGED
 */
export async function rawDownload(store: Store, id: string): Promise<Response> {
  const { size, stream } = await rawMessageStream(store, id);
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "message/rfc822",
      "Content-Length": String(size),
      "Content-Disposition": attachmentDisposition(`${id}.eml`, "message.eml"),
      "Cache-Control": "private, no-store",
    },
  });
}

/**
 * One part (attachment or inline part) of a stored message, decoded, as a download.
 *
 * @param store the open store
 * @param id the message's row id
 * @param partId the part's id ("1", "2" …, as the message's parts list them)
 * @returns the response
 * @throws {MailregError} NOT_FOUND (message or part), MESSAGE_RAW_PURGED
 */
export async function partDownload(store: Store, id: string, partId: string): Promise<Response> {
  const { part, content } = await readPart(await readRawMessage(store, id), partId);
  return new Response(content as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      "Content-Type": safeContentType(part.contentType),
      "Content-Length": String(content.byteLength),
      "Content-Disposition": attachmentDisposition(part.filename, `part-${part.id}`),
      "Cache-Control": "private, no-store",
    },
  });
}

/**
 * The parts of a stored message, or null when its raw source was purged.
 *
 * @param store the open store
 * @param id the message's row id
 * @param rawPurged whether retention removed the raw source
 * @returns the parts
 */
export async function partsOf(store: Store, id: string, rawPurged: boolean): Promise<MessagePart[] | null> {
  if (rawPurged) return null;
  try {
    return (await parseMessage(await readRawMessage(store, id))).parts;
  } catch {
    return [];
  }
}
