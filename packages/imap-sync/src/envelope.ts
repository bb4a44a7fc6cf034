/**
 * The envelope of a message (date, subject, Message-ID, addresses), parsed from its header block
 * with RFC 2047 encoded words decoded. One parser for every source, so IMAP and POP3 messages look
 * the same to sinks, and the server is not asked for ENVELOPE.
 *
 * @module
 */
import { envelopeParser } from "./_envelope-parser.ts";

/** One address of an address header. */
export interface EnvelopeAddress {
  name?: string;
  address: string;
}

/** What sinks and webhooks get to know of a message without parsing it. */
export interface Envelope {
  /** The Date header as ISO 8601, when it parses. */
  date?: string;
  subject?: string;
  /** The Message-ID without angle brackets. */
  messageId?: string;
  inReplyTo?: string;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
}

const _parser = envelopeParser();

/**
 * The header block of a raw message (up to the first empty line, at most 256 KiB), as text.
 *
 * @param raw the raw message
 * @returns the header text (latin1 bytes above 0x7f are read as UTF-8 where valid)
 */
export function headerBlock(raw: Uint8Array): string {
  return _parser.headerBlock(raw);
}

/**
 * Parses the envelope from a raw message's header.
 *
 * @param raw the raw message
 * @returns the envelope (empty lists for absent address headers)
 * @example
 * ```ts
 * import { parseEnvelope } from "@mailreg/imap-sync";
 * const raw = new TextEncoder().encode("From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\r\nSubject: Hi\r\nMessage-ID: <a@b>\r\n\r\nbody");
 * const env = parseEnvelope(raw);
 * console.log(env.from[0]?.name, env.messageId); // Jürgen a@b
 * ```
 */
export function parseEnvelope(raw: Uint8Array): Envelope {
  return _parser.parseEnvelope(raw);
}

/**
 * Unfolds a header block into lower-case names and their values, in order.
 *
 * @param block the header text
 * @param only keep only these (lower-case) names; all when absent
 * @returns name → values
 */
export function parseHeaders(block: string, only?: ReadonlySet<string>): Map<string, string[]> {
  return _parser.parseHeaders(block, only);
}

/**
 * Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`); whitespace between adjacent encoded
 * words is dropped as the RFC says. Unknown charsets are left encoded.
 *
 * @param value a header value
 * @returns the decoded text
 */
export function decodeWords(value: string): string {
  return _parser.decodeWords(value);
}

/**
 * Parses an address list (`"Name" <a@b>, c@d, Group: e@f;`) into addresses; groups are flattened.
 *
 * @param value the header value
 * @returns the addresses
 */
export function parseAddressList(value: string): EnvelopeAddress[] {
  return _parser.parseAddressList(value);
}
