/**
 * Decoding stored messages: MIME parts and attachments (postal-mime), the text part, a safe
 * rendering of the HTML part (sanitize-html), and the plain text the search index holds.
 *
 * @module
 */
export {
  type MessageAddress,
  type MessagePart,
  type ParsedMessage,
  parseMessage,
  readPart,
} from "./parse.ts";
export { safeHtml } from "./safe-html.ts";
export { htmlToText, SEARCH_TEXT_LIMIT, searchText } from "./search-text.ts";
