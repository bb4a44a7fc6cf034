/**
 * Decoding a stored message with postal-mime: its headers, text and HTML bodies, and its parts
 * (attachments and inline parts) with their content type, filename, size and disposition.
 *
 * RFC 2047 encoded words in headers and RFC 2231 parameters (non-ASCII filenames) are decoded by
 * postal-mime. Parts are numbered from 1 in the order postal-mime lists them; the numbering is the
 * same every time the same message is parsed, so a part id names one part of one stored message.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import PostalMime, { type Address, type Attachment, type Email } from "postal-mime";

/** One address of an address header, decoded. */
export interface MessageAddress {
  /** The display name ("" when there is none). */
  name: string;
  address: string;
}

/** One attachment or inline part of a message. */
export interface MessagePart {
  /** "1", "2" …: the part's place among the message's parts (see the module doc). */
  id: string;
  /** The MIME type, lowercase (`application/pdf`). */
  contentType: string;
  /** The decoded filename, when the part has one. */
  filename: string | null;
  /** The decoded size in bytes. */
  size: number;
  /** `attachment`, `inline`, or null when the part has no Content-Disposition. */
  disposition: string | null;
  /** The Content-ID without angle brackets (what `cid:` URLs in the HTML body name). */
  contentId: string | null;
}

/** A decoded message. */
export interface ParsedMessage {
  subject: string | null;
  from: MessageAddress[];
  to: MessageAddress[];
  cc: MessageAddress[];
  /** The Date header as ISO 8601 (as the message has it when it does not parse). */
  date: string | null;
  messageId: string | null;
  /** The text/plain body, when there is one. */
  text: string | null;
  /** The text/html body as the message has it (unsafe: render it through `safeHtml`). */
  html: string | null;
  parts: MessagePart[];
}

/**
 * Decodes a raw message.
 *
 * @param raw the raw message (RFC 5322 bytes)
 * @returns headers, bodies and parts
 * @throws {MailregError} VALIDATION when the message cannot be parsed at all
 * @example
 * ```ts
 * import { parseMessage } from "@mailreg/message";
 * const raw = new TextEncoder().encode("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHallo");
 * const message = await parseMessage(raw);
 * console.log(message.subject, message.text); // Grüße Hallo
 * ```
 */
export async function parseMessage(raw: Uint8Array): Promise<ParsedMessage> {
  const email = await _parse(raw);
  return {
    subject: email.subject ?? null,
    from: email.from === undefined ? [] : _mailboxes([email.from]),
    to: _mailboxes(email.to ?? []),
    cc: _mailboxes(email.cc ?? []),
    date: email.date ?? null,
    messageId: email.messageId === undefined ? null : email.messageId.replace(/^<|>$/g, ""),
    text: email.text ?? null,
    html: email.html ?? null,
    parts: email.attachments.map((a, i) => _partInfo(a, i)),
  };
}

/**
 * One part of a message, decoded (base64 and quoted-printable undone).
 *
 * @param raw the raw message
 * @param partId the part's id, as {@link parseMessage} lists it
 * @returns the part's description and its bytes
 * @throws {MailregError} NOT_FOUND when the message has no such part
 * @example
 * ```ts
 * import { readPart } from "@mailreg/message";
 * const raw = new TextEncoder().encode(
 *   'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n' +
 *     '--b\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\nAQID\r\n--b--\r\n',
 * );
 * const { part, content } = await readPart(raw, "1");
 * console.log(part.filename, content); // a.bin Uint8Array(3) [1, 2, 3]
 * ```
 */
export async function readPart(
  raw: Uint8Array,
  partId: string,
): Promise<{ part: MessagePart; content: Uint8Array }> {
  const email = await _parse(raw);
  const index = /^[1-9][0-9]{0,5}$/.test(partId) ? Number(partId) - 1 : -1;
  const attachment = email.attachments[index];
  if (attachment === undefined) {
    throw new MailregError("NOT_FOUND", `The message has no part ${JSON.stringify(partId)}`, {
      details: { partId, parts: email.attachments.length },
    });
  }
  return { part: _partInfo(attachment, index), content: _bytes(attachment) };
}

/** postal-mime's parse, its failures as VALIDATION. */
async function _parse(raw: Uint8Array): Promise<Email> {
  try {
    return await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  } catch (error) {
    throw new MailregError("VALIDATION", "The message cannot be parsed as MIME", {
      cause: error,
      details: { size: raw.byteLength },
    });
  }
}

function _bytes(attachment: Attachment): Uint8Array {
  const c = attachment.content;
  if (typeof c === "string") return new TextEncoder().encode(c);
  return c instanceof Uint8Array ? c : new Uint8Array(c);
}

function _partInfo(attachment: Attachment, index: number): MessagePart {
  return {
    id: String(index + 1),
    contentType: attachment.mimeType.toLowerCase(),
    filename: attachment.filename ?? null,
    size: _bytes(attachment).byteLength,
    disposition: attachment.disposition ?? null,
    contentId: attachment.contentId === undefined ? null : attachment.contentId.replace(/^<|>$/g, ""),
  };
}

/** Address lists flattened: a group's members stand in for the group. */
function _mailboxes(list: readonly Address[]): MessageAddress[] {
  return list.flatMap((a) =>
    a.group === undefined
      ? [{ name: a.name, address: a.address }]
      : a.group.map((m) => ({ name: m.name, address: m.address })),
  );
}
