/**
 * Deterministic, realistic test messages: the same seed always gives the same messages.
 *
 * Varied senders (with non-ASCII display names), subjects with RFC 2047 encoded words, plain text
 * and multipart/mixed with attachments (some with RFC 2231 non-ASCII file names), IMAP flags, and
 * sizes drawn from a range. Web-standard code only.
 *
 * @module
 */

/** Options of {@link generateMessages}. */
export interface GenerateOptions {
  /** How many messages. */
  count: number;
  /** The seed: same seed, same messages. Default 1. */
  seed?: number;
  /** Smallest message in bytes (CRLF form). Default 1,500; at least ~1 KB is needed for the headers. */
  minSize?: number;
  /** Largest message in bytes. Default 20,000. */
  maxSize?: number;
  /** The recipient. Default "alice@example.test". */
  to?: string;
  /** Date of the first (oldest) message; later ones follow at random gaps of up to 2 hours. */
  since?: Date;
  /** Share of multipart messages with an attachment, 0…1. Default 0.3. */
  attachmentShare?: number;
}

/** One generated message. */
export interface GeneratedMessage {
  /** The full message with CRLF line ends (what IMAP APPEND sends and RFC822.SIZE counts). */
  raw: string;
  /** Byte length of `raw`. */
  size: number;
  /** INTERNALDATE: when the message "arrived" (a little after its Date header). */
  internalDate: Date;
  /** IMAP system flags, e.g. ["\\Seen", "\\Flagged"]. */
  flags: string[];
  messageId: string;
  /** The subject, decoded. */
  subject: string;
  /** The sender address. */
  from: string;
  hasAttachment: boolean;
}

const SENDERS: readonly [string, string][] = [
  ["Jürgen Müller", "juergen.mueller@example.test"],
  ["Zoë Çelik", "zoe.celik@example.test"],
  ["Anna Schmidt", "anna.schmidt@kunde.example"],
  ["José Núñez", "jose@proveedor.example"],
  ["王芳", "wang.fang@example.cn"],
  ["Øystein Ødegård", "oystein@example.no"],
  ["Support", "support@shop.example"],
  ["Ελένη Παπαδοπούλου", "eleni@example.gr"],
  ["Newsletter Team", "news@letters.example"],
  ["Krzysztof Wąs", "k.was@example.pl"],
];
const SUBJECTS: readonly string[] = [
  "Rechnung Nr. {n} – fällig am Freitag",
  "Re: Angebot für Größe XL",
  "Meeting notes {n}",
  "Ihre Bestellung #{n} wurde versandt 📦",
  "Fwd: Übersicht Kundenbetreuung Q{q}",
  "Quick question about ticket {n}",
  "Résumé and cover letter",
  "会议安排 {n}",
  "Mahnung: offene Posten ({n})",
  "Weekly report",
];
const WORDS =
  "der die das und Kunde Rechnung Größe Übergabe Straße Lieferung bitte danke meeting report invoice " +
  "schedule Änderung Frühling café naïve project deadline Termin Angebot review budget Qualität Büro";
const ATTACHMENTS: readonly [string, string][] = [
  ["application/pdf", "Rechnung.pdf"],
  ["image/png", "screenshot.png"],
  ["text/csv", "Übersicht März.csv"],
  ["application/zip", "documents.zip"],
];

/**
 * Generates messages lazily.
 *
 * @param options count, seed, size range, recipient, first date, attachment share
 * @returns an iterator of messages, oldest first
 * @example
 * ```ts
 * for (const m of generateMessages({ count: 3, seed: 7 })) console.log(m.subject, m.size);
 * ```
 */
export function* generateMessages(options: GenerateOptions): Generator<GeneratedMessage> {
  const minSize = options.minSize ?? 1_500;
  const maxSize = options.maxSize ?? 20_000;
  if (!(minSize > 0 && maxSize >= minSize)) throw new RangeError("need 0 < minSize <= maxSize");
  const seed = options.seed ?? 1;
  const random = _mulberry32(seed);
  const to = options.to ?? "alice@example.test";
  const share = options.attachmentShare ?? 0.3;
  let time = (options.since ?? new Date("2025-01-06T08:00:00Z")).getTime();
  let lastArrival = 0;
  const filler = _fillerLines(_mulberry32(seed ^ 0x5eed));
  const binary = _base64Lines(_mulberry32(seed ^ 0xb1a5));

  for (let i = 0; i < options.count; i++) {
    time += Math.floor(random() * 7_200) * 1000;
    const date = new Date(time);
    const [name, from] = _pick(random, SENDERS);
    const subject = _pick(random, SUBJECTS)
      .replace("{n}", String(10_000 + Math.floor(random() * 90_000)))
      .replace("{q}", String(1 + Math.floor(random() * 4)));
    const messageId = `<${seed}.${i}.${Math.floor(random() * 1e9).toString(36)}@mailreg.test>`;
    const target = minSize + Math.floor(random() * (maxSize - minSize + 1));
    const hasAttachment = random() < share;
    const [contentType, fileName] = _pick(random, ATTACHMENTS);
    const boundary = `=_mailreg_${seed}_${i}`;
    const headers = [
      `Return-Path: <${from}>`,
      `Received: from mail.example.test (mail.example.test [192.0.2.${1 + (i % 254)}])`,
      `\tby mx.example.test with ESMTPS id ${i.toString(36)}; ${_rfc2822(date)}`,
      `Date: ${_rfc2822(date)}`,
      `From: ${_displayName(name)} <${from}>`,
      `To: ${to}`,
      `Subject: ${_encodeWords(subject)}`,
      `Message-ID: ${messageId}`,
      "MIME-Version: 1.0",
    ];
    const textHeaders = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"];
    let head: string;
    let tail: string;
    if (hasAttachment) {
      head = [
        ...headers,
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        "",
        "This is a multi-part message in MIME format.",
        `--${boundary}`,
        ...textHeaders,
        "",
        "",
      ].join("\r\n");
      const attachmentHead = [
        `--${boundary}`,
        `Content-Type: ${contentType}; ${_rfc2231("name", fileName)}`,
        "Content-Transfer-Encoding: base64",
        `Content-Disposition: attachment; ${_rfc2231("filename", fileName)}`,
        "",
        "",
      ].join("\r\n");
      const closing = `--${boundary}--\r\n`;
      const room = target - head.length - attachmentHead.length - closing.length - 200;
      const start = Math.floor(random() * binary.length);
      const lineCount = Math.max(1, Math.floor((room * 0.7) / 78));
      let base64 = "";
      for (let l = 0; l < lineCount; l++) base64 += binary[(start + l) % binary.length];
      tail = `\r\n${attachmentHead}${base64}${closing}`;
    } else {
      head = [...headers, ...textHeaders, "", ""].join("\r\n");
      tail = "";
    }
    // headers and the attachment part are ASCII (non-ASCII goes into RFC 2047/2231 encodings)
    const headBytes = _bytes(head);
    const text = _take(filler, random, Math.max(2, target - headBytes - tail.length));
    const raw = head + text.text + tail;
    const seen = random() < 0.7;
    const flags = [
      ...(random() < 0.1 ? ["\\Answered"] : []),
      ...(random() < 0.05 ? ["\\Flagged"] : []),
      ...(seen ? ["\\Seen"] : []),
    ];
    // arrivals keep the order of the messages (maildir file names, hence UIDs, follow them)
    lastArrival = Math.max(lastArrival + 1000, time + (1 + Math.floor(random() * 120)) * 1000);
    yield {
      raw,
      size: headBytes + text.bytes + tail.length,
      internalDate: new Date(lastArrival),
      flags,
      messageId,
      subject,
      from,
      hasAttachment,
    };
  }
}

const _encoder = new TextEncoder();

/** UTF-8 byte length without encoding (valid UTF-16 assumed). */
function _bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4; // a surrogate pair
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function _mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function _pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** ~64 KB of text lines (each ending CRLF), to slice message bodies from. */
function _fillerLines(random: () => number): _Lines {
  const words = WORDS.split(" ");
  const lines: string[] = [];
  for (let i = 0; i < 1_000; i++) {
    let line = "";
    while (line.length < 60) line += `${line === "" ? "" : " "}${_pick(random, words)}`;
    lines.push(random() < 0.1 ? "\r\n" : `${line}\r\n`);
  }
  return { lines, bytes: lines.map(_bytes) };
}

/** ~64 KB of random bytes as base64 lines of 76 characters (each ending CRLF). */
function _base64Lines(random: () => number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 1_100; i++) {
    let binary = "";
    for (let j = 0; j < 57; j++) binary += String.fromCharCode(Math.floor(random() * 256));
    lines.push(`${btoa(binary)}\r\n`);
  }
  return lines;
}

/** Lines of text with their UTF-8 byte lengths. */
interface _Lines {
  lines: string[];
  bytes: number[];
}

/** Whole lines from a random offset until `bytes` are reached; the last line is cut to fit exactly. */
function _take(source: _Lines, random: () => number, bytes: number): { text: string; bytes: number } {
  let text = "";
  let size = 0;
  let index = Math.floor(random() * source.lines.length);
  while (size < bytes) {
    const at = index % source.lines.length;
    const lineBytes = source.bytes[at]!;
    if (size + lineBytes > bytes) {
      // an ASCII pad keeps the byte count exact (a cut could split a UTF-8 sequence)
      const room = bytes - size;
      if (room >= 2) text += `${"x".repeat(room - 2)}\r\n`;
      size += room >= 2 ? room : 0;
      break;
    }
    text += source.lines[at];
    size += lineBytes;
    index++;
  }
  return { text, bytes: size };
}

/** RFC 2047 encoded words (base64, UTF-8) for non-ASCII text, folded; ASCII stays as it is. */
function _encodeWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = "";
  for (const char of text) {
    if (_bytes(chunk + char) > 42) {
      words.push(_encodedWord(chunk));
      chunk = "";
    }
    chunk += char;
  }
  if (chunk !== "") words.push(_encodedWord(chunk));
  return words.join("\r\n ");
}

function _encodedWord(text: string): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(..._encoder.encode(text)))}?=`;
}

function _displayName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? `"${name}"` : _encodeWords(name);
}

/** `filename="x"` for ASCII names, else RFC 2231 `filename*=UTF-8''…`. */
function _rfc2231(parameter: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return `${parameter}="${value}"`;
  const encoded = Array.from(_encoder.encode(value), (byte) =>
    /[A-Za-z0-9._-]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");
  return `${parameter}*=UTF-8''${encoded}`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function _rfc2822(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
