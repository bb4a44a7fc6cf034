/**
 * The envelope of a message (date, subject, Message-ID, addresses), parsed from its header block
 * with RFC 2047 encoded words decoded. One parser for every source, so IMAP and POP3 messages look
 * the same to sinks, and the server is not asked for ENVELOPE.
 *
 * @module
 */

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

const _MAX_HEADER = 256 * 1024;

/**
 * The header block of a raw message (up to the first empty line, at most 256 KiB), as text.
 *
 * @param raw the raw message
 * @returns the header text (latin1 bytes above 0x7f are read as UTF-8 where valid)
 */
export function headerBlock(raw: Uint8Array): string {
  const limit = Math.min(raw.length, _MAX_HEADER);
  let end = limit;
  // from line end to line end (a native scan): the block ends at the first empty line
  for (let nl = raw.indexOf(10); nl !== -1 && nl < limit; nl = raw.indexOf(10, nl + 1)) {
    if (raw[nl + 1] === 10) {
      end = nl;
      break;
    }
    if (raw[nl + 1] === 13 && raw[nl + 2] === 10) {
      end = nl > 0 && raw[nl - 1] === 13 ? nl - 1 : nl;
      break;
    }
  }
  return _decoder("utf-8").decode(raw.subarray(0, end));
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
  const env: Envelope = { from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [] };
  let date: string | undefined;
  let subject: string | undefined;
  let messageId: string | undefined;
  let inReplyTo: string | undefined;
  _eachHeader(headerBlock(raw), _WANTED, (name, value) => {
    switch (name) {
      case "date":
        date ??= value;
        break;
      case "subject":
        subject ??= value;
        break;
      case "message-id":
        messageId ??= value;
        break;
      case "in-reply-to":
        inReplyTo ??= value;
        break;
      default:
        env[_ADDRESS_FIELDS[name]!].push(...parseAddressList(value));
    }
  });
  if (date !== undefined) {
    const parsed = Date.parse(_withoutTrailingComment(date));
    if (!Number.isNaN(parsed)) env.date = new Date(parsed).toISOString();
  }
  if (subject !== undefined) env.subject = _clean(decodeWords(subject));
  const id = _msgId(messageId);
  if (id !== undefined) env.messageId = id;
  const replyId = _msgId(inReplyTo);
  if (replyId !== undefined) env.inReplyTo = replyId;
  return env;
}

// Line breaks, NUL and other control characters (raw, or decoded from an encoded word) never leave
// the parser: an envelope value ends up in log lines, webhook bodies and mail headers we write.
const _CONTROLS = /[\p{Cc}\u2028\u2029]/gu;

/** `text` with every control character and line break replaced by a space. */
function _clean(text: string): string {
  _CONTROLS.lastIndex = 0;
  return _CONTROLS.test(text) ? text.replace(_CONTROLS, " ") : text;
}

/** A Date value without a trailing "(comment)" such as "(CET)"; linear in the value's length. */
function _withoutTrailingComment(value: string): string {
  const trimmed = value.trimEnd();
  if (!trimmed.endsWith(")")) return value;
  const close = trimmed.length - 1;
  const previous = trimmed.lastIndexOf(")", close - 1);
  const open = trimmed.indexOf("(", previous + 1);
  return open === -1 || open >= close ? value : trimmed.slice(0, open).trimEnd();
}

const _ADDRESS_FIELDS: Readonly<Record<string, "from" | "sender" | "replyTo" | "to" | "cc" | "bcc">> = {
  from: "from",
  sender: "sender",
  "reply-to": "replyTo",
  to: "to",
  cc: "cc",
  bcc: "bcc",
};

const _WANTED: ReadonlySet<string> = new Set([
  "date",
  "subject",
  "message-id",
  "in-reply-to",
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
]);

/**
 * Unfolds a header block into lower-case names and their values, in order.
 *
 * @param block the header text
 * @param only keep only these (lower-case) names; all when absent
 * @returns name → values
 */
export function parseHeaders(block: string, only?: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  _eachHeader(block, only, (name, value) => {
    const list = out.get(name);
    if (list === undefined) out.set(name, [value]);
    else list.push(value);
  });
  return out;
}

/** Lower-case first letters of the names in `only` (a header whose name starts otherwise is skipped unread). */
const _initials = new WeakMap<ReadonlySet<string>, Set<number>>();

/**
 * Calls `fn` with each header's lower-case name and unfolded, trimmed value, in order; with `only`,
 * just for those names. One pass over the block: this runs for every collected message.
 */
function _eachHeader(
  block: string,
  only: ReadonlySet<string> | undefined,
  fn: (name: string, value: string) => void,
): void {
  let initials: Set<number> | undefined;
  if (only !== undefined) {
    initials = _initials.get(only);
    if (initials === undefined) {
      initials = new Set([...only].map((name) => name.charCodeAt(0)));
      _initials.set(only, initials);
    }
  }
  const length = block.length;
  let start = 0;
  while (start < length) {
    let end = block.indexOf("\n", start);
    if (end === -1) end = length;
    // a line starting with a space or tab continues the header before it
    let stop = end;
    while (stop + 1 < length && (block.charCodeAt(stop + 1) === 32 || block.charCodeAt(stop + 1) === 9)) {
      stop = block.indexOf("\n", stop + 1);
      if (stop === -1) stop = length;
    }
    const next = stop + 1;
    if (initials !== undefined && !initials.has(block.charCodeAt(start) | 0x20)) {
      start = next;
      continue;
    }
    // the colon is looked for in this line only: a block of many colon-less lines stays linear
    let colon = start;
    while (colon < end && block.charCodeAt(colon) !== 58) colon++;
    if (colon > start && colon < end) {
      const name = block.slice(start, colon).trim().toLowerCase();
      if (only === undefined || only.has(name)) {
        const value = block.slice(colon + 1, stop);
        fn(name, (stop > end ? value.replace(/\r?\n[ \t]+/g, " ") : value).trim());
      }
    }
    start = next;
  }
}

/**
 * Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`); whitespace between adjacent encoded
 * words is dropped as the RFC says. Unknown charsets are left encoded.
 *
 * @param value a header value
 * @returns the decoded text
 */
export function decodeWords(value: string): string {
  const first = value.indexOf("=?");
  if (first === -1) return value;
  const joined =
    value.indexOf("=?", first + 2) === -1
      ? value
      : value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, "$1");
  return joined.replace(
    /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g,
    (word, charset: string, encoding: string, text: string) => {
      try {
        const bytes = encoding.toUpperCase() === "B" ? _base64(text) : _quoted(text);
        return _decoder(charset.split("*")[0]!.toLowerCase()).decode(bytes);
      } catch {
        return word;
      }
    },
  );
}

/**
 * Parses an address list (`"Name" <a@b>, c@d, Group: e@f;`) into addresses; groups are flattened.
 *
 * @param value the header value
 * @returns the addresses
 */
export function parseAddressList(value: string): EnvelopeAddress[] {
  const out: EnvelopeAddress[] = [];
  // a group ("Team: a@b, c@d;") lists its members; its name is not an address
  const group = value.includes(":") ? /^[^"<@,:]*:/.exec(value) : null;
  const list = group === null ? value : value.slice(group[0].length).replace(/;\s*$/, "");
  for (const part of _splitTopLevel(list)) {
    const item = part.trim();
    if (item === "") continue;
    const angle = _angleAddr(item);
    if (angle !== undefined) {
      const name = _clean(decodeWords(_unquote(angle.name)));
      const address = _clean(angle.address);
      out.push(name === "" ? { address } : { name, address });
    } else {
      const comment = _commentAddr(item);
      if (comment !== undefined)
        out.push({ name: _clean(decodeWords(comment.name)), address: _clean(comment.address) });
      else out.push({ address: _clean(item) });
    }
  }
  return out;
}

/**
 * `Name <addr>` (optionally followed by a comment): the first `<` outside quotes and the `>` after
 * it. Index scans instead of a backtracking regex: a hostile header of 256 KiB of `<` must not
 * take quadratic time.
 */
function _angleAddr(item: string): { name: string; address: string } | undefined {
  let quoted = false;
  let open = -1;
  for (let i = 0; i < item.length; i++) {
    const c = item.charCodeAt(i);
    if (c === 92 && quoted) i++;
    else if (c === 34) quoted = !quoted;
    else if (c === 60 && !quoted) {
      open = i;
      break;
    }
  }
  if (open === -1) return undefined;
  const close = item.indexOf(">", open + 1);
  if (close === -1) return undefined;
  const rest = item.slice(close + 1).trim();
  if (rest !== "" && !(rest.startsWith("(") && rest.endsWith(")"))) return undefined;
  return { name: item.slice(0, open).trim(), address: item.slice(open + 1, close).trim() };
}

/** `addr@domain (Name)`: an address without white space, then a comment that ends the item. */
function _commentAddr(item: string): { name: string; address: string } | undefined {
  if (!item.endsWith(")")) return undefined;
  const open = item.indexOf("(");
  if (open === -1) return undefined;
  const address = item.slice(0, open).trimEnd();
  const at = address.indexOf("@", 1);
  if (at === -1 || at === address.length - 1 || /\s/.test(address)) return undefined;
  return { name: item.slice(open + 1, -1), address };
}

const _decoders = new Map<string, TextDecoder>();

/** A decoder per charset, made once (making one costs more than decoding a header). */
function _decoder(charset: string): TextDecoder {
  let decoder = _decoders.get(charset);
  if (decoder === undefined) {
    decoder = new TextDecoder(charset);
    _decoders.set(charset, decoder);
  }
  return decoder;
}

function _msgId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // the first non-empty <…>, found by index scans (linear, unlike /<([^>]+)>/ on a run of '<')
  let inner: string | undefined;
  for (let open = value.indexOf("<"); open !== -1 && inner === undefined; ) {
    const close = value.indexOf(">", open + 1);
    if (close === -1) break;
    if (close > open + 1) inner = value.slice(open + 1, close);
    else open = value.indexOf("<", close);
  }
  const id = _clean(inner ?? value).trim();
  return id === "" ? undefined : id;
}

function _splitTopLevel(value: string): string[] {
  if (!value.includes(",")) return [value];
  const parts: string[] = [];
  let depthAngle = 0;
  let depthParen = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\" && quoted) {
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted) {
      if (c === "<") depthAngle++;
      else if (c === ">") depthAngle = Math.max(0, depthAngle - 1);
      else if (c === "(") depthParen++;
      else if (c === ")") depthParen = Math.max(0, depthParen - 1);
      else if (c === "," && depthAngle === 0 && depthParen === 0) {
        parts.push(value.slice(start, i));
        start = i + 1;
      }
    }
  }
  parts.push(value.slice(start));
  return parts;
}

function _unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2
    ? value.slice(1, -1).replace(/\\(.)/g, "$1")
    : value;
}

function _base64(text: string): Uint8Array {
  const bin = atob(text.replace(/[^A-Za-z0-9+/]/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function _quoted(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "_") out.push(0x20);
    else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}
