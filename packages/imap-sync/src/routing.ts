/**
 * Routing rules: which sinks a collected message goes to. Pure: a message and an instance's
 * `routing` (from `@mailreg/core`'s config) in, the chosen sink ids out.
 *
 * The rules are tried in order and the first whose every given field matches wins: its `sinks`, or
 * none for `action: "drop"` (the message stays in the store). A message no rule matches goes to
 * `routing.default`, or to every sink when that is omitted; without routing, to every sink.
 *
 * Matching: `mailbox` is the collected mailbox's address or, starting with `@`, its domain (a
 * mailbox-level rule; {@link routingForMailbox} keeps only a mailbox's own and the instance-wide
 * rules, in their order); `folder` is the path exactly (INBOX in any case) or, ending in `*`, that folder and
 * everything under it (`INBOX/Orders/*`); `from` and `to` (To or Cc) an address or, starting with
 * `@`, a domain, case-insensitive; `subject` and a header's `value` a case-insensitive substring of
 * the decoded text (a header without `value`: the header is present); `minSize`/`maxSize` bytes,
 * inclusive; `hasAttachment` whether some MIME part is an attachment (see {@link hasAttachment}).
 *
 * @module
 */
import type { Routing, RoutingMatch } from "@mailreg/core";
import { decodeWords, type Envelope, headerBlock, parseHeaders } from "./envelope.ts";

/** What rules look at. */
export interface RoutableMessage {
  /** The folder path as the server names it. */
  folder: string;
  /** The raw RFC 5322 message (for header and attachment matches). */
  raw: Uint8Array;
  /** Bytes. */
  size: number;
  /** The parsed envelope (from, to, cc, subject). */
  envelope: Envelope;
  /** The collected mailbox's SMTP address (for rules naming a `mailbox`); absent: such rules never match. */
  mailbox?: string;
}

/** Where a message goes, and why. */
export interface RoutingDecision {
  /** The sink ids chosen (empty when dropped, or when there are no sinks). */
  sinks: string[];
  /** The index of the rule that matched; null when the default applied. */
  rule: number | null;
  /** True when a drop rule matched. */
  drop: boolean;
}

/**
 * Chooses the sinks of a message.
 *
 * @param routing the instance's routing, or undefined (every sink)
 * @param message folder, raw source, size and envelope
 * @param allSinks every configured sink id (the default when `routing.default` is omitted)
 * @returns the chosen sink ids, the rule that matched, and whether it dropped the message
 * @example
 * ```ts
 * import { parseEnvelope, routeMessage } from "@mailreg/imap-sync";
 * const raw = new TextEncoder().encode("From: shop@orders.example\r\nSubject: Invoice 42\r\n\r\nhi");
 * const decision = routeMessage(
 *   { rules: [{ match: { from: "@orders.example", subject: "invoice" }, sinks: ["crm"] }], default: ["archive"] },
 *   { folder: "INBOX", raw, size: raw.length, envelope: parseEnvelope(raw) },
 *   ["crm", "archive"],
 * );
 * console.log(decision); // { sinks: ["crm"], rule: 0, drop: false }
 * ```
 */
export function routeMessage(
  routing: Routing | undefined,
  message: RoutableMessage,
  allSinks: readonly string[],
): RoutingDecision {
  const rules = routing?.rules ?? [];
  let headers: Map<string, string[]> | undefined;
  const headerValues = (name: string) => {
    headers ??= parseHeaders(headerBlock(message.raw));
    return headers.get(name.toLowerCase()) ?? [];
  };
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!matchesRule(rule.match, message, headerValues)) continue;
    return "action" in rule
      ? { sinks: [], rule: i, drop: true }
      : { sinks: [...rule.sinks], rule: i, drop: false };
  }
  return { sinks: [...(routing?.default ?? allSinks)], rule: null, drop: false };
}

/**
 * Whether a message matches one rule's `match` (every given field).
 *
 * @param match the rule's match
 * @param message folder, raw source, size and envelope
 * @param headerValues a header's values by name (default: parsed from the raw source)
 * @returns true when every given field matches
 */
export function matchesRule(
  match: RoutingMatch,
  message: RoutableMessage,
  headerValues: (name: string) => string[] = (name) =>
    parseHeaders(headerBlock(message.raw)).get(name.toLowerCase()) ?? [],
): boolean {
  const env = message.envelope;
  if (
    match.mailbox !== undefined &&
    (message.mailbox === undefined || !_addressMatches(match.mailbox, [{ address: message.mailbox }]))
  )
    return false;
  if (match.folder !== undefined && !_folderMatches(match.folder, message.folder)) return false;
  if (match.from !== undefined && !_addressMatches(match.from, env.from)) return false;
  if (match.to !== undefined && !_addressMatches(match.to, [...env.to, ...env.cc])) return false;
  if (match.subject !== undefined && !_contains(env.subject ?? "", match.subject)) return false;
  if (match.minSize !== undefined && message.size < match.minSize) return false;
  if (match.maxSize !== undefined && message.size > match.maxSize) return false;
  if (match.header !== undefined) {
    const wanted = match.header.value;
    const values = headerValues(match.header.name);
    if (values.length === 0) return false;
    if (wanted !== undefined && !values.some((v) => _contains(decodeWords(v), wanted))) return false;
  }
  if (match.hasAttachment !== undefined && hasAttachment(message.raw) !== match.hasAttachment) return false;
  return true;
}

/**
 * The routing one mailbox is collected with: the instance's rules without those naming another
 * mailbox, in their order, and with the `mailbox` field of its own rules taken out (so the engine,
 * which does not know the address, matches them); the default stays.
 *
 * @param routing the instance's routing, or undefined (every sink)
 * @param address the mailbox's SMTP address
 * @returns the mailbox's routing (undefined when the instance has none)
 * @example
 * ```ts
 * import { routingForMailbox } from "@mailreg/imap-sync";
 * const routing = routingForMailbox(
 *   { rules: [{ match: { mailbox: "sales@example.org" }, sinks: ["crm"] }, { match: {}, action: "drop" }] },
 *   "info@example.org",
 * );
 * console.log(routing?.rules); // [{ match: {}, action: "drop" }]
 * ```
 */
export function routingForMailbox(routing: Routing | undefined, address: string): Routing | undefined {
  if (routing === undefined) return undefined;
  const rules = routing.rules.flatMap((rule) => {
    const { mailbox, ...match } = rule.match;
    if (mailbox === undefined) return [rule];
    if (!_addressMatches(mailbox, [{ address }])) return [];
    return [{ ...rule, match }];
  });
  return { ...routing, rules };
}

/** A MIME part header naming an attachment: disposition attachment, or a file name on a non-text part. */
const _ATTACHMENT_PART =
  /^content-disposition:[ \t]*attachment\b|^content-disposition:[^\n]*(?:\n[ \t][^\n]*)*\bfilename(?:\*\d+)?\*?=|^content-type:(?![ \t]*(?:text|multipart)\/)[^\n]*(?:\n[ \t][^\n]*)*\bname(?:\*\d+)?\*?=|^content-type:[ \t]*message\/rfc822\b/im;

/**
 * Whether a message carries an attachment: a cheap look at the MIME headers in the raw source
 * (a part whose Content-Disposition is `attachment` or names a file, a non-text part with a `name`,
 * or an attached message) in the header block after each boundary line, without parsing the MIME
 * tree. A single-part message counts only by its
 * own header.
 *
 * @param raw the raw message
 * @returns true when some part looks like an attachment
 * @example
 * ```ts
 * import { hasAttachment } from "@mailreg/imap-sync";
 * const raw = new TextEncoder().encode("Content-Type: application/pdf; name=a.pdf\r\n\r\nJVBERi0=");
 * console.log(hasAttachment(raw)); // true
 * ```
 */
export function hasAttachment(raw: Uint8Array): boolean {
  const head = headerBlock(raw);
  const top = parseHeaders(head, _CONTENT).get("content-type")?.[0] ?? "text/plain";
  if (!/^\s*multipart\//i.test(top)) return _ATTACHMENT_PART.test(head.replace(/\r\n/g, "\n"));
  // the header block after each boundary line ("--…"), up to its empty line
  const text = _latin1.decode(raw).replace(/\r\n/g, "\n");
  for (let at = text.indexOf("\n--"); at !== -1; at = text.indexOf("\n--", at + 3)) {
    const start = text.indexOf("\n", at + 3);
    if (start === -1) break;
    const end = text.indexOf("\n\n", start);
    if (_ATTACHMENT_PART.test(text.slice(start + 1, end === -1 ? text.length : end))) return true;
  }
  return false;
}

const _CONTENT: ReadonlySet<string> = new Set(["content-type"]);
const _latin1 = new TextDecoder("latin1");

function _contains(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

function _addressMatches(pattern: string, addresses: readonly { address: string }[]): boolean {
  const p = pattern.trim().toLowerCase();
  return addresses.some((a) => {
    const address = a.address.toLowerCase();
    return p.startsWith("@") ? address.endsWith(p) : address === p;
  });
}

function _folderMatches(pattern: string, folder: string): boolean {
  const norm = (f: string) => (/^inbox(?=$|[^a-z0-9])/i.test(f) ? `INBOX${f.slice(5)}` : f);
  const path = norm(folder);
  if (!pattern.endsWith("*")) return path === norm(pattern);
  const prefix = norm(pattern.slice(0, -1));
  // "INBOX/Orders/*" is INBOX/Orders and everything under it
  return path.startsWith(prefix) || (prefix.length > 1 && path === prefix.slice(0, -1));
}
