/**
 * The private-network policy for servers an owner types in: unless the administrator allows it,
 * a server on a loopback, private, link-local (or otherwise non-public) address is refused, by IP
 * literal, by the name `localhost`, and, given a resolver, by every address a name resolves to.
 *
 * @module
 */
import type { ResolveHost } from "../deps.ts";
import type { FieldErrorCode } from "../http/field-errors.ts";

/** What kind of address an IP is; everything but "public" is refused without permission. */
export type AddressKind = "public" | "loopback" | "private" | "link-local" | "special";

const _V4_RANGES: ReadonlyArray<[base: number, bits: number, kind: AddressKind]> = [
  [0x00000000, 8, "special"], // 0.0.0.0/8 "this network"
  [0x0a000000, 8, "private"], // 10/8
  [0x64400000, 10, "private"], // 100.64/10 shared (CGNAT)
  [0x7f000000, 8, "loopback"], // 127/8
  [0xa9fe0000, 16, "link-local"], // 169.254/16
  [0xac100000, 12, "private"], // 172.16/12
  [0xc0000000, 24, "special"], // 192.0.0/24 protocol assignments
  [0xc0a80000, 16, "private"], // 192.168/16
  [0xc6120000, 15, "special"], // 198.18/15 benchmarking
  [0xe0000000, 3, "special"], // 224/4 multicast and 240/4 reserved
];

function _kindV4(ip: string): AddressKind {
  const n = ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
  for (const [base, bits, kind] of _V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (n >= base && n < base + size) return kind;
  }
  return "public";
}

function _kindV6(ip: string): AddressKind {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped !== undefined) return _kindV4(mapped);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex !== null) {
    const n = Number.parseInt(hex[1]!, 16) * 65536 + Number.parseInt(hex[2]!, 16);
    return _kindV4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
  }
  if (ip === "::1") return "loopback";
  if (ip === "::") return "special";
  const first = Number.parseInt(ip.split(":")[0] || "0", 16);
  if ((first & 0xfe00) === 0xfc00) return "private"; // fc00::/7
  if ((first & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((first & 0xff00) === 0xff00) return "special"; // multicast
  return "public";
}

/**
 * The kind of an IP address, or undefined when `host` is a name, not an IP literal. IPv4 is
 * recognised in every form the URL parser accepts (`127.1`, `0x7f.0.0.1`, `2130706433`).
 *
 * @param host a host as typed (IPv6 with or without brackets)
 * @returns the kind, or undefined for a name
 * @example
 * ```ts
 * addressKind("10.1.2.3"); // "private"
 * addressKind("[::1]"); // "loopback"
 * addressKind("imap.example.com"); // undefined
 * ```
 */
export function addressKind(host: string): AddressKind | undefined {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":")) {
    try {
      return _kindV6(new URL(`http://[${bare}]`).hostname.slice(1, -1));
    } catch {
      return undefined;
    }
  }
  let name: string;
  try {
    name = new URL(`http://${bare}`).hostname;
  } catch {
    return undefined;
  }
  return /^\d+\.\d+\.\d+\.\d+$/.test(name) ? _kindV4(name) : undefined;
}

/**
 * Whether the owner may use `host`: undefined when allowed, else the field error code.
 *
 * @param host the typed-in host
 * @param options whether private networks are allowed, and a resolver for names
 * @returns undefined, "host-not-allowed" or "host-not-found"
 */
export async function checkHostPolicy(
  host: string,
  options: { allowPrivate: boolean; resolveHost?: ResolveHost | undefined },
): Promise<FieldErrorCode | undefined> {
  if (options.allowPrivate) return undefined;
  const literal = addressKind(host);
  if (literal !== undefined) return literal === "public" ? undefined : "host-not-allowed";
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return "host-not-allowed";
  if (options.resolveHost === undefined) return undefined;
  let addresses: string[];
  try {
    addresses = await options.resolveHost(name);
  } catch {
    return "host-not-found";
  }
  if (addresses.length === 0) return "host-not-found";
  return addresses.every((a) => addressKind(a) === "public") ? undefined : "host-not-allowed";
}
