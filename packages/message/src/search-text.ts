/**
 * The plain text of a message the search index holds: its text body, or the text of its HTML body.
 *
 * @module
 */
import sanitizeHtml from "sanitize-html";
import { parseMessage } from "./parse.ts";

/** At most this many characters of a message's text go into the index. */
export const SEARCH_TEXT_LIMIT = 256 * 1024;

const _ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/**
 * The searchable text of a raw message: the text/plain body, else the text of the HTML body (tags,
 * scripts and styles removed), whitespace collapsed, at most {@link SEARCH_TEXT_LIMIT} characters.
 * A message that does not parse gives "".
 *
 * @param raw the raw message
 * @returns the text
 * @example
 * ```ts
 * import { searchText } from "@mailreg/message";
 * const raw = new TextEncoder().encode("Content-Type: text/html\r\n\r\n<p>Fish &amp; <b>chips</b></p>");
 * console.log(await searchText(raw)); // Fish & chips
 * ```
 */
export async function searchText(raw: Uint8Array): Promise<string> {
  let text: string;
  try {
    const message = await parseMessage(raw);
    text = message.text ?? (message.html === null ? "" : htmlToText(message.html));
  } catch {
    return "";
  }
  return text.replace(/\s+/g, " ").trim().slice(0, SEARCH_TEXT_LIMIT);
}

/**
 * The text of an HTML fragment: tags dropped, the content of script, style and similar removed,
 * entities decoded.
 *
 * @param html the HTML
 * @returns its text
 */
export function htmlToText(html: string): string {
  const escaped = sanitizeHtml(html.replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d)\b[^>]*>/gi, "$& "), {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "head"],
  });
  return escaped.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => _ENTITIES[name] ?? "");
}
