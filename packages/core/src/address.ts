/**
 * SMTP-address normalisation: the one place that decides whether an address is acceptable and what
 * its canonical spelling is.
 *
 * The local part is kept exactly as typed (case included: RFC 5321 leaves it to the receiving
 * server); the domain is lower-cased and IDNA-encoded to A-labels through the WHATWG URL host parser
 * (UTS #46 mapping), so `Jörg@Bücher.Example` becomes `Jörg@xn--bcher-kva.example`.
 *
 * @module
 */
import { MailregError } from "./errors.ts";

/** Why an address was refused: the stable `details.reason` of an `ADDRESS_INVALID` error. */
export const ADDRESS_INVALID_REASONS = {
  "not-a-string": "The address must be a string",
  empty: "The address is empty",
  "too-long": "The address is longer than 254 octets",
  "control-character": "The address contains a control character or line break",
  "missing-at": "The address has no @",
  "multiple-at": "The address has more than one @ outside quotes",
  "local-empty": "The part before @ is empty",
  "local-too-long": "The part before @ is longer than 64 octets",
  "local-invalid": "The part before @ contains characters or dots that are not allowed",
  "domain-empty": "The domain after @ is empty",
  "domain-too-long": "The domain is longer than 253 octets or has a label longer than 63",
  "domain-invalid": "The domain is not a valid host name",
  "domain-ip-literal": "An IP address as domain must be written in brackets, like [192.0.2.1]",
  "ip-literal-invalid": "The bracketed IP address is not valid",
} as const;

/** A stable reason code of an `ADDRESS_INVALID` error. */
export type AddressInvalidReason = keyof typeof ADDRESS_INVALID_REASONS;

const _MAX_INPUT = 1024;
// Unquoted local part: dot-separated atoms of RFC 5322 atext, plus letters, marks and digits of any
// script (RFC 6531). Other non-ASCII (symbols, fullwidth @, invisible formatting) is refused.
const _ATOM = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~\-\p{L}\p{M}\p{N}]+`;
const _DOT_ATOM = new RegExp(`^${_ATOM}(?:\\.${_ATOM})*$`, "u");
const _QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\p{L}\p{M}\p{N}]|\\[\x20-\x7e])+"$/u;
const _CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Any ASCII character other than letters, digits, '.' and '-', or any white space: such a domain
// could change how the URL parser reads the host (userinfo, path, port, percent-decoding).
const _DOMAIN_FORBIDDEN = /[^A-Za-z0-9.\-\u0080-\u{10ffff}]|\s/u;
const _LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// A host whose last label is a number is read as an IPv4 address by the URL parser.
const _ENDS_IN_NUMBER = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$/i;
const _IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function _fail(reason: AddressInvalidReason): never {
  throw new MailregError("ADDRESS_INVALID", ADDRESS_INVALID_REASONS[reason], { details: { reason } });
}

/** The length of `s` in UTF-8 octets (lone surrogates count as the 3 octets of U+FFFD). */
function _octets(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The canonical spelling of a domain: lower case, IDNA A-labels, no trailing dot.
 *
 * @param domain a domain name in any case, with U-labels or A-labels
 * @returns the lower-case A-label form
 * @throws {MailregError} ADDRESS_INVALID with `details.reason` (`domain-empty`, `domain-invalid`,
 *   `domain-too-long`, `domain-ip-literal`)
 * @example
 * ```ts
 * import { normalizeDomain } from "@mailreg/core";
 * console.log(normalizeDomain("Bücher.Example")); // "xn--bcher-kva.example"
 * ```
 */
export function normalizeDomain(domain: string): string {
  if (domain === "") _fail("domain-empty");
  if (_CONTROL.test(domain)) _fail("control-character");
  if (_DOMAIN_FORBIDDEN.test(domain)) _fail("domain-invalid");
  let host: string;
  try {
    host = new URL(`http://${domain}`).hostname;
  } catch {
    _fail(_ENDS_IN_NUMBER.test(domain) ? "domain-ip-literal" : "domain-invalid");
  }
  if (_IPV4.test(host)) _fail("domain-ip-literal");
  if (host.endsWith(".") || host === "") _fail("domain-invalid");
  if (host.length > 253) _fail("domain-too-long");
  for (const label of host.split(".")) {
    if (label.length > 63) _fail("domain-too-long");
    if (!_LDH_LABEL.test(label)) _fail("domain-invalid");
  }
  return host;
}

function _normalizeIpLiteral(literal: string): string {
  const inner = literal.slice(1, -1);
  if (_IPV4.test(inner)) return literal;
  const v6 = /^IPv6:([0-9A-Fa-f:.]+)$/i.exec(inner)?.[1];
  if (v6 !== undefined) {
    try {
      return `[IPv6:${new URL(`http://[${v6}]`).hostname.slice(1, -1)}]`;
    } catch {
      // refused below
    }
  }
  return _fail("ip-literal-invalid");
}

function _split(s: string): [local: string, domain: string] {
  if (s.startsWith('"')) {
    let i = 1;
    while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
    if (i >= s.length) _fail(s.includes("@") ? "local-invalid" : "missing-at");
    const rest = s.slice(i + 1);
    if (!rest.startsWith("@")) _fail(rest.includes("@") ? "local-invalid" : "missing-at");
    if (rest.includes("@", 1)) _fail("multiple-at");
    return [s.slice(0, i + 1), rest.slice(1)];
  }
  const at = s.indexOf("@");
  if (at < 0) _fail("missing-at");
  if (s.includes("@", at + 1)) _fail("multiple-at");
  return [s.slice(0, at), s.slice(at + 1)];
}

/**
 * The canonical form of an SMTP address, or an `ADDRESS_INVALID` error saying why there is none.
 *
 * Surrounding white space is trimmed; control characters and line breaks anywhere are refused; the
 * local part is kept as typed (at most 64 octets, a dot-atom or a quoted string); the domain is
 * lower-cased and IDNA-encoded ({@link normalizeDomain}), or is a bracketed IP literal
 * (`[192.0.2.1]`, `[IPv6:2001:db8::1]`); the whole is at most 254 octets.
 *
 * @param input the address as typed
 * @returns the normalised address
 * @throws {MailregError} ADDRESS_INVALID with `details.reason` from {@link ADDRESS_INVALID_REASONS}
 * @example
 * ```ts
 * import { normalizeAddress } from "@mailreg/core";
 * console.log(normalizeAddress("  Jörg@Bücher.Example ")); // "Jörg@xn--bcher-kva.example"
 * ```
 */
export function normalizeAddress(input: string): string {
  if (typeof input !== "string") _fail("not-a-string");
  const s = input.trim();
  if (s === "") _fail("empty");
  if (s.length > _MAX_INPUT) _fail("too-long");
  if (_CONTROL.test(s)) _fail("control-character");
  const [local, rawDomain] = _split(s);
  if (local === "") _fail("local-empty");
  if (_octets(local) > 64) _fail("local-too-long");
  if (!_DOT_ATOM.test(local) && !_QUOTED.test(local)) _fail("local-invalid");
  const domain =
    rawDomain.startsWith("[") && rawDomain.endsWith("]")
      ? _normalizeIpLiteral(rawDomain)
      : normalizeDomain(rawDomain);
  const address = `${local}@${domain}`;
  if (_octets(address) > 254) _fail("too-long");
  return address;
}

/**
 * The normalised domain of an address.
 *
 * @param address an SMTP address
 * @returns the domain part of {@link normalizeAddress}'s result (an A-label name or a bracketed IP)
 * @throws {MailregError} ADDRESS_INVALID when the address is not valid
 * @example
 * ```ts
 * import { addressDomain } from "@mailreg/core";
 * console.log(addressDomain("Jörg@Bücher.Example")); // "xn--bcher-kva.example"
 * ```
 */
export function addressDomain(address: string): string {
  const normalized = normalizeAddress(address);
  return normalized.slice(normalized.lastIndexOf("@") + 1);
}

/**
 * The key two addresses are compared by: the normalised address ({@link normalizeAddress}) with its
 * local part lower-cased (full Unicode case mapping, so `Jörg` and `JÖRG` match), unless the
 * comparison is case-sensitive. `Ann@Example.org` and `ann@example.org` have one key by default.
 * A quoted local part is lower-cased too (its case is as arbitrary as an unquoted one's).
 *
 * @param address an SMTP address
 * @param options `caseSensitive: true` keeps the local part as typed
 * @returns the comparison key
 * @throws {MailregError} ADDRESS_INVALID when the address is not valid
 * @example
 * ```ts
 * import { addressKey } from "@mailreg/core";
 * console.log(addressKey("Ann@Example.org")); // "ann@example.org"
 * console.log(addressKey("Ann@Example.org", { caseSensitive: true })); // "Ann@example.org"
 * ```
 */
export function addressKey(address: string, options: { caseSensitive?: boolean } = {}): string {
  const normalized = normalizeAddress(address);
  if (options.caseSensitive === true) return normalized;
  const at = normalized.lastIndexOf("@");
  return `${normalized.slice(0, at).toLowerCase()}${normalized.slice(at)}`;
}

/**
 * Whether two addresses are the same mailbox address once normalised. The local part is compared
 * as is (case-sensitive); an invalid address is the same as nothing.
 *
 * @param a an address
 * @param b another address
 * @returns true when both are valid and their normalised forms are equal
 * @example
 * ```ts
 * import { sameAddress } from "@mailreg/core";
 * console.log(sameAddress("a@Bücher.example", " a@xn--bcher-kva.EXAMPLE")); // true
 * ```
 */
export function sameAddress(a: string, b: string): boolean {
  try {
    return normalizeAddress(a) === normalizeAddress(b);
  } catch {
    return false;
  }
}
