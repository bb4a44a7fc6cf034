/**
 * Preparing a message for the outbox: a raw RFC 5322 message (or fields composed into one by
 * nodemailer's MailComposer) with a stable Message-ID assigned before any attempt, a Date, no Bcc
 * header, its SMTP envelope, and CRLF line endings throughout (RFC 5322 2.3; IMAP APPEND of the Sent
 * copy sends these bytes, and servers such as Cyrus refuse bare LF).
 *
 * @module
 */
import { MailregError, newId } from "@mailreg/core";
import addressparser from "nodemailer/lib/addressparser";
import MailComposer from "nodemailer/lib/mail-composer";

/** The SMTP envelope: `MAIL FROM` and `RCPT TO`. */
export interface Envelope {
  from: string;
  to: string[];
}

/** A message ready to queue. */
export interface PreparedMessage {
  /** The Message-ID header value, angle brackets included. */
  messageId: string;
  raw: Uint8Array;
  envelope: Envelope;
}

/** An attachment of {@link MessageFields}. */
export interface MessageAttachment {
  filename: string;
  content: Uint8Array | string;
  contentType?: string;
}

/** A message as fields, composed into MIME by nodemailer. */
export interface MessageFields {
  /** Default: the mailbox's address. */
  from?: string;
  to?: string | string[];
  cc?: string | string[];
  /** Only in the envelope, never in the headers. */
  bcc?: string | string[];
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  inReplyTo?: string;
  references?: string | string[];
  /** Give one to make queuing idempotent (`<id@domain>`); default a new one. */
  messageId?: string;
  headers?: Record<string, string>;
  attachments?: MessageAttachment[];
}

/** What a message may be given as: raw (with an optional envelope) or fields. */
export type MessageInput = { raw: Uint8Array | string; envelope?: Envelope } | { message: MessageFields };

/**
 * Prepares a message for sending.
 *
 * Raw messages keep their bytes except for line endings, which become CRLF (a bare LF or CR is what
 * SMTP would change on the wire anyway, and what IMAP servers may refuse on APPEND); a missing
 * Message-ID or Date header is added at the top and a Bcc header is removed (its addresses stay in
 * the envelope). Composed messages are CRLF from the start. Without an envelope, `MAIL FROM` is the
 * Sender or From address and `RCPT TO` every To, Cc and Bcc address.
 *
 * @param input raw message or fields
 * @param from the sender to use when the fields name none (the mailbox's address)
 * @returns the Message-ID, the raw bytes and the envelope
 * @throws {MailregError} VALIDATION when the message has no recipient or no sender
 * @example
 * ```ts
 * import { prepareMessage } from "@mailreg/smtp-resolver";
 * const m = await prepareMessage({ raw: "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n" }, "a@example.org");
 * console.log(m.messageId.endsWith("@example.org>"), m.envelope); // true { from: "a@example.org", to: ["b@example.org"] }
 * ```
 */
export async function prepareMessage(input: MessageInput, from: string): Promise<PreparedMessage> {
  return "message" in input
    ? await _compose(input.message, from)
    : _prepareRaw(input.raw, input.envelope, from);
}

async function _compose(fields: MessageFields, fallbackFrom: string): Promise<PreparedMessage> {
  const from = fields.from ?? fallbackFrom;
  const messageId = fields.messageId ?? _newMessageId(from);
  const { attachments, ...rest } = fields;
  const node = new MailComposer({
    ...rest,
    from,
    messageId,
    ...(attachments === undefined
      ? {}
      : {
          attachments: attachments.map((a) => ({
            filename: a.filename,
            ...(typeof a.content === "string"
              ? { content: a.content }
              : { content: btoa(_bytesToBinary(a.content)), encoding: "base64" }),
            ...(a.contentType === undefined ? {} : { contentType: a.contentType }),
          })),
        }),
  }).compile();
  const envelope = node.getEnvelope();
  const to = (envelope.to ?? []).filter((a): a is string => typeof a === "string" && a !== "");
  const envelopeFrom = typeof envelope.from === "string" ? envelope.from : "";
  _checkEnvelope({ from: envelopeFrom, to });
  return {
    messageId: node.messageId(),
    // MailComposer writes CRLF headers but keeps a text's own "\n" in the body
    raw: toCrlf(new Uint8Array(await node.build())),
    envelope: { from: envelopeFrom, to },
  };
}

function _prepareRaw(
  raw: Uint8Array | string,
  given: Envelope | undefined,
  fallbackFrom: string,
): PreparedMessage {
  const bytes = toCrlf(typeof raw === "string" ? new TextEncoder().encode(raw) : raw);
  const split = _headerEnd(bytes);
  const eol = split.eol;
  const headerText = _bytesToBinary(bytes.subarray(0, split.end));
  const lines = _headerLines(headerText, eol);
  const utf8 = (value: string) => new TextDecoder().decode(_binaryToBytes(value));
  const values = (name: string) => lines.filter((l) => l.name === name).map((l) => utf8(l.value));

  const envelope = given ?? {
    from: _addresses(values("sender"))[0] ?? _addresses(values("from"))[0] ?? fallbackFrom,
    to: [...new Set(_addresses([...values("to"), ...values("cc"), ...values("bcc")]))],
  };
  _checkEnvelope(envelope);

  const kept = lines.filter((l) => l.name !== "bcc").map((l) => l.text);
  let messageId = values("message-id")[0]?.trim();
  const added: string[] = [];
  if (messageId === undefined || messageId === "") {
    messageId = _newMessageId(envelope.from);
    added.push(`Message-ID: ${messageId}`);
  }
  if (values("date").length === 0) added.push(`Date: ${new Date().toUTCString()}`);
  if (added.length === 0 && kept.length === lines.length) return { messageId, raw: bytes, envelope };

  const header = _binaryToBytes([...added, ...kept].map((l) => `${l}${eol}`).join(""));
  const body = bytes.subarray(split.end);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return { messageId, raw: out, envelope };
}

/**
 * The message with every line ending as CRLF: a bare LF or a bare CR becomes CRLF, nothing else
 * changes. Returns the same array when it already is canonical.
 *
 * @param bytes a message
 * @returns its CRLF form
 * @example
 * ```ts
 * import { toCrlf } from "@mailreg/smtp-resolver";
 * console.log(new TextDecoder().decode(toCrlf(new TextEncoder().encode("a\nb\r\n")))); // "a\r\nb\r\n"
 * ```
 */
export function toCrlf(bytes: Uint8Array): Uint8Array {
  let missing = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 10 && (i === 0 || bytes[i - 1] !== 13)) missing++;
    else if (b === 13 && bytes[i + 1] !== 10) missing++;
  }
  if (missing === 0) return bytes;
  const out = new Uint8Array(bytes.length + missing);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 10 && (i === 0 || bytes[i - 1] !== 13)) {
      out[o++] = 13;
      out[o++] = 10;
    } else if (b === 13 && bytes[i + 1] !== 10) {
      out[o++] = 13;
      out[o++] = 10;
    } else out[o++] = b;
  }
  return out;
}

function _checkEnvelope(envelope: Envelope): void {
  if (envelope.to.length === 0) throw new MailregError("VALIDATION", "The message names no recipient");
  if (envelope.from === "") throw new MailregError("VALIDATION", "The message names no sender");
}

function _newMessageId(from: string): string {
  const at = from.lastIndexOf("@");
  const domain = at < 0 ? "mailreg.invalid" : from.slice(at + 1).replace(/[>\s].*$/, "") || "mailreg.invalid";
  return `<${newId()}@${domain}>`;
}

function _addresses(fields: string[]): string[] {
  return fields
    .flatMap((f) => addressparser(f, { flatten: true }).map((a) => a.address))
    .filter((a) => a !== "");
}

/** Where the header block ends (just before the empty line) and which line ending it uses. */
function _headerEnd(bytes: Uint8Array): { end: number; eol: "\r\n" | "\n" } {
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return { end: i + 1, eol: bytes[i - 1] === 13 ? "\r\n" : "\n" };
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return { end: i + 1, eol: "\r\n" };
  }
  return { end: bytes.length, eol: "\r\n" };
}

interface _HeaderLine {
  /** Lower-case name. */
  name: string;
  /** Unfolded value. */
  value: string;
  /** The header as it was, folding kept, without the final line end. */
  text: string;
}

function _headerLines(header: string, eol: string): _HeaderLine[] {
  const out: _HeaderLine[] = [];
  for (const line of header.split(/\r?\n/)) {
    if (line === "") continue;
    const last = out[out.length - 1];
    if (/^[ \t]/.test(line) && last !== undefined) {
      last.text += `${eol}${line}`;
      last.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    out.push({
      name: line.slice(0, Math.max(colon, 0)).trim().toLowerCase(),
      value: line.slice(colon + 1),
      text: line,
    });
  }
  return out;
}

function _bytesToBinary(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function _binaryToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
