/**
 * Decoding stored messages: MIME parts and attachments (postal-mime), the text part, a safe
 * rendering of the HTML part (sanitize-html), and the plain text the search index holds.
 *
 * @module
 */
export * from "./parse.ts";
export * from "./safe-html.ts";
export * from "./search-text.ts";
