/**
 * The connect-time network policy for mail servers the public typed in: which IP addresses and
 * ports a connection may go to. Pure: the classification of an address, the policy a config gives,
 * and the one decision — given a host, a port and what its name resolved to — of which address to
 * connect to. The packages that connect resolve the name once (node:dns), ask
 * {@link connectTarget}, and connect to the address it returns, so a second, different DNS answer
 * (DNS rebinding) never reaches a socket.
 *
 * Endpoints the administrator configured (server templates, their SMTP counterparts, the SMTP
 * levels of the config) are trusted as configured: a private company server is normal.
 *
 * @module
 */
import type { Config } from "./config-schema.ts";
import { MailregError } from "./errors.ts";

/**
 * What an IP address is. Only "public" is reachable for a typed-in server unless the instance
 * allows private networks; "reserved" covers everything not routable on the internet that has no
 * class of its own (240/4, broadcast, IPv6 outside 2000::/3, deprecated forms).
 */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "site-local"
  | "multicast"
  | "documentation"
  | "benchmarking"
  | "reserved";

const _V4: ReadonlyArray<readonly [base: number, bits: number, cls: AddressClass]> = [
  [0x00000000, 8, "unspecified"], // 0/8 "this network"
  [0x0a000000, 8, "private"], // 10/8
  [0x64400000, 10, "shared"], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8, "loopback"], // 127/8
  [0xa9fe0000, 16, "link-local"], // 169.254/16
  [0xac100000, 12, "private"], // 172.16/12
  [0xc0000000, 24, "reserved"], // 192.0.0/24 IETF protocol assignments
  [0xc0000200, 24, "documentation"], // 192.0.2/24 TEST-NET-1
  [0xc0586300, 24, "reserved"], // 192.88.99/24 6to4 relay anycast (deprecated)
  [0xc0a80000, 16, "private"], // 192.168/16
  [0xc6120000, 15, "benchmarking"], // 198.18/15
  [0xc6336400, 24, "documentation"], // 198.51.100/24 TEST-NET-2
  [0xcb007100, 24, "documentation"], // 203.0.113/24 TEST-NET-3
  [0xe0000000, 4, "multicast"], // 224/4
  [0xf0000000, 4, "reserved"], // 240/4 and 255.255.255.255
];

function _classV4(n: number): AddressClass {
  for (const [base, bits, cls] of _V4) {
    if (Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits))) return cls;
  }
  return "public";
}

/** The 8 groups of a canonical (WHATWG-serialised) IPv6 address. */
function _groups(canonical: string): number[] {
  const [head = "", tail] = canonical.split("::");
  const h = head === "" ? [] : head.split(":").map((g) => Number.parseInt(g, 16));
  const t = tail === undefined || tail === "" ? [] : tail.split(":").map((g) => Number.parseInt(g, 16));
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** The class of an IPv4 address wrapped in IPv6: its own unless public, then `outer`. */
function _embedded(n: number, outer: AddressClass): AddressClass {
  const cls = _classV4(n >>> 0);
  return cls === "public" ? outer : cls;
}

function _classV6(g: number[]): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h6 = 0, h7 = 0] = g;
  const low32 = h6 * 65536 + h7;
  const zero5 = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (zero5 && f === 0) {
    if (low32 === 0) return "unspecified"; // ::
    if (low32 === 1) return "loopback"; // ::1
    return _embedded(low32, "reserved"); // ::a.b.c.d, IPv4-compatible (deprecated)
  }
  if (zero5 && f === 0xffff) return _classV4(low32); // ::ffff:a.b.c.d, IPv4-mapped
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0xffff && f === 0) {
    return _embedded(low32, "reserved"); // ::ffff:0:a.b.c.d, IPv4-translated (SIIT)
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) {
    return _classV4(low32); // 64:ff9b::/96 NAT64 well-known prefix: the IPv4 address decides
  }
  if (a === 0x64 && b === 0xff9b && c === 1) return "private"; // 64:ff9b:1::/48 local-use NAT64
  if (a === 0x100 && b === 0 && c === 0 && d === 0) return "reserved"; // 100::/64 discard-only
  if (a === 0x2001 && b === 0) return _embedded(~low32, "reserved"); // 2001::/32 Teredo (client address inverted)
  if (a === 0x2001 && b === 0x2 && c === 0) return "benchmarking"; // 2001:2::/48
  if (a === 0x2001 && b === 0xdb8) return "documentation"; // 2001:db8::/32
  if (a === 0x2001 && b < 0x200) return "reserved"; // rest of 2001::/23 IETF protocol assignments
  if (a === 0x2002) return _embedded(b * 65536 + c, "reserved"); // 2002::/16 6to4
  if ((a & 0xfff0) === 0x3ff0) return "documentation"; // 3fff::/20
  if ((a & 0xfe00) === 0xfc00) return "private"; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((a & 0xffc0) === 0xfec0) return "site-local"; // fec0::/10 (deprecated)
  if ((a & 0xff00) === 0xff00) return "multicast"; // ff00::/8
  if ((a & 0xe000) !== 0x2000) return "reserved"; // outside 2000::/3 global unicast
  return "public";
}

/**
 * The class of an IP address, or undefined when `host` is not an IP literal (a name). IPv4 is
 * recognised in every form a URL accepts (`127.1`, `0x7f.0.0.1`, `2130706433`), IPv6 with or
 * without brackets and with an embedded dotted quad.
 *
 * @param host an address or a host name
 * @returns the class, or undefined for a name
 * @example
 * ```ts
 * import { classifyAddress } from "@mailreg/core";
 * classifyAddress("10.1.2.3"); // "private"
 * classifyAddress("::ffff:0:7f00:1"); // "loopback"
 * classifyAddress("64:ff9b::a00:1"); // "private" (NAT64 of 10.0.0.1)
 * classifyAddress("imap.example.com"); // undefined
 * ```
 */
export function classifyAddress(host: string): AddressClass | undefined {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":")) {
    if (!URL.canParse(`http://[${bare}]`)) return undefined;
    return _classV6(_groups(new URL(`http://[${bare}]`).hostname.slice(1, -1)));
  }
  if (!URL.canParse(`http://${bare}`)) return undefined;
  const name = new URL(`http://${bare}`).hostname;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(name)) return undefined;
  return _classV4(name.split(".").reduce((acc, part) => acc * 256 + Number(part), 0));
}

/** A host and port the administrator configured; trusted as is. */
export interface TrustedEndpoint {
  host: string;
  port: number;
}

/** The network policy for connections to servers the public typed in. */
export interface NetworkPolicy {
  /** Whether non-public addresses (loopback, private, link-local …) are allowed too. */
  allowPrivate: boolean;
  /** The ports a typed-in server may use, or "any". */
  ports: readonly number[] | "any";
  /** Endpoints the administrator configured, exempt from the policy. */
  trusted: readonly TrustedEndpoint[];
  /** DNS servers to resolve typed-in names with (`host` or `host:port`); empty: the system's. */
  dnsServers: readonly string[];
}

/** The ports a typed-in server may use by default: IMAP 143/993, POP3 110/995, SMTP 25/465/587. */
export const STANDARD_MAIL_PORTS: readonly number[] = [143, 993, 110, 995, 25, 465, 587];

/**
 * The policy a config gives: `registration.allowPrivateNetworks`, `registration.allowedPorts` plus
 * every configured template's port, `registration.dnsServers`, and every configured endpoint
 * (templates, their SMTP counterparts, the company and default SMTP, the instances' SMTP) trusted.
 *
 * @param config the validated config
 * @returns the policy
 */
export function networkPolicy(config: Config): NetworkPolicy {
  const trusted: TrustedEndpoint[] = [];
  const add = (e: { host: string; port: number } | undefined) => {
    if (e !== undefined) trusted.push({ host: _norm(e.host), port: e.port });
  };
  for (const s of config.servers) {
    add(s);
    add(s.smtp);
  }
  add(config.smtp.company);
  add(config.smtp.default);
  for (const i of config.instances) add(i.smtp);
  const r = config.registration;
  return {
    allowPrivate: r.allowPrivateNetworks,
    ports:
      r.allowedPorts === "any"
        ? "any"
        : [...new Set([...r.allowedPorts, ...config.servers.map((s) => s.port)])],
    trusted,
    dnsServers: r.dnsServers,
  };
}

function _norm(host: string): string {
  return host
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase()
    .replace(/\.$/, "");
}

/**
 * Whether `host:port` is an endpoint the administrator configured.
 *
 * @param policy the policy
 * @param host the host
 * @param port the port
 * @returns true when trusted
 */
export function isTrustedEndpoint(policy: NetworkPolicy, host: string, port: number): boolean {
  const name = _norm(host);
  return policy.trusted.some((e) => e.port === port && e.host === name);
}

/** Why the policy refused a target; the same words for every cause, the detail for the log. */
export type PolicyRefusal = "port" | "name" | "address" | "not-found";

function _refuse(why: PolicyRefusal, host: string, port: number, detail: string): MailregError {
  return new MailregError(
    why === "not-found" ? "MAIL_CONNECTION_FAILED" : "MAIL_HOST_NOT_ALLOWED",
    why === "not-found"
      ? `${host} has no address`
      : `The network policy does not allow ${host}:${port} (${detail})`,
    { details: { reason: why === "not-found" ? "unreachable" : "policy", policy: why, host, port } },
  );
}

/**
 * What the policy says about `host:port` before any name is resolved: trusted endpoints pass, a port
 * outside the list, a non-public IP literal and a local name (`localhost`, `*.localhost`) are refused.
 * `registrations import` runs it on every typed-in server of a file; every connection runs it again,
 * then resolves and checks the addresses ({@link connectTarget}).
 *
 * @param policy the policy
 * @param host the host
 * @param port the port
 * @returns undefined when nothing refuses it yet, else why and a few words on what
 */
export function endpointRefusal(
  policy: NetworkPolicy,
  host: string,
  port: number,
): { why: PolicyRefusal; detail: string } | undefined {
  if (isTrustedEndpoint(policy, host, port)) return undefined;
  if (policy.ports !== "any" && !policy.ports.includes(port)) {
    return { why: "port", detail: `port ${port} is not one of ${policy.ports.join(", ")}` };
  }
  if (policy.allowPrivate) return undefined;
  const literal = classifyAddress(host);
  if (literal !== undefined) return literal === "public" ? undefined : { why: "address", detail: literal };
  const name = _norm(host);
  if (name === "localhost" || name.endsWith(".localhost")) return { why: "name", detail: "a local name" };
  return undefined;
}

/**
 * Where to connect for `host:port` under the policy: the host itself when trusted or when no policy
 * applies, else the first of its addresses, after every one of them passed. Resolves the name once,
 * with `resolve`, which the caller supplies (node:dns, Deno.resolveDns, a test resolver).
 *
 * @param policy the policy; undefined connects to the host as named (a library consumer's choice)
 * @param host the host as configured or typed in
 * @param port the port
 * @param resolve the resolver: all addresses of a name
 * @returns `address` to connect to, and `servername` (the name, for SNI and the certificate check)
 *   when `address` is an IP that stands for a name
 * @throws {MailregError} MAIL_HOST_NOT_ALLOWED (details.policy: port, name or address) or
 *   MAIL_CONNECTION_FAILED when the name has no address
 * @example
 * ```ts
 * import { connectTarget } from "@mailreg/core";
 * const policy = { allowPrivate: false, ports: [993], trusted: [], dnsServers: [] };
 * const target = await connectTarget(policy, "imap.example.org", 993, async () => ["93.184.215.14"]);
 * console.log(target); // { address: "93.184.215.14", servername: "imap.example.org" }
 * ```
 */
export async function connectTarget(
  policy: NetworkPolicy | undefined,
  host: string,
  port: number,
  resolve: (name: string) => Promise<string[]>,
): Promise<{ address: string; servername?: string }> {
  if (policy === undefined || isTrustedEndpoint(policy, host, port)) return { address: host };
  const refused = endpointRefusal(policy, host, port);
  if (refused !== undefined) throw _refuse(refused.why, host, port, refused.detail);
  if (classifyAddress(host) !== undefined) return { address: host.replace(/^\[(.*)\]$/, "$1") };
  const name = _norm(host);
  let addresses: string[];
  try {
    addresses = await resolve(name);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) throw _refuse("not-found", host, port, "no address");
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === undefined) throw _refuse("address", host, port, "an answer that is not an address");
    if (cls !== "public" && !policy.allowPrivate)
      throw _refuse("address", host, port, `${address} is ${cls}`);
  }
  return { address: addresses[0] as string, servername: name };
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is (also when IPv4-mapped), an IPv6
 * address by its /64 (one customer's whole network: a /64 gives endless fresh addresses).
 *
 * @param ip an IP address
 * @returns the key, or `ip` unchanged when it is not an IP address
 * @example
 * ```ts
 * import { clientKeyOf } from "@mailreg/core";
 * clientKeyOf("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * clientKeyOf("::ffff:192.0.2.7"); // "192.0.2.7"
 * ```
 */
export function clientKeyOf(ip: string): string {
  const bare = ip.replace(/^\[(.*)\]$/, "$1");
  if (!bare.includes(":") || !URL.canParse(`http://[${bare}]`)) return ip;
  const g = _groups(new URL(`http://[${bare}]`).hostname.slice(1, -1));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join(".");
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

/**
 * Whether an IP address lies in a range (`10.0.0.0/8`, `2001:db8::/32`, or one address).
 *
 * @param ip the address
 * @param range an address or CIDR range
 * @returns true when inside
 */
export function addressInRange(ip: string, range: string): boolean {
  const [base = "", bitsText] = range.split("/");
  const a = _bits(ip);
  const b = _bits(base);
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length) return false;
  return a.slice(0, bits) === b.slice(0, bits);
}

/** An address as a string of 32 or 128 bits (IPv4-mapped IPv6 as IPv4), or undefined. */
function _bits(ip: string): string | undefined {
  const bare = ip.replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":")) {
    if (!URL.canParse(`http://[${bare}]`)) return undefined;
    const g = _groups(new URL(`http://[${bare}]`).hostname.slice(1, -1));
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      return g
        .slice(6)
        .map((x) => x.toString(2).padStart(16, "0"))
        .join("");
    }
    return g.map((x) => x.toString(2).padStart(16, "0")).join("");
  }
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(bare)) return undefined;
  const parts = bare.split(".").map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.map((p) => p.toString(2).padStart(8, "0")).join("");
}
