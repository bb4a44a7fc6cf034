/**
 * The client's address, for the rate limits: the `remoteAddress` binding this app's runtime adapters
 * pass, or, when the app is mounted in a host app, what the host's server passes as the env.
 *
 * @module
 */
import { addressInRange, clientKeyOf } from "@mailreg/core";
import type { Context } from "hono";

/** The env shapes of the servers a host app is commonly served by. */
interface _Env {
  /** This app's adapters (main.node.ts, main.deno.ts). */
  remoteAddress?: unknown;
  /** @hono/node-server: `{ incoming, outgoing }`. */
  incoming?: { socket?: { remoteAddress?: unknown } };
  /** `Deno.serve(app.fetch)`: the handler's info. */
  remoteAddr?: { hostname?: unknown };
  /** `Bun.serve({ fetch: app.fetch })`: the server. */
  requestIP?: (request: Request) => { address?: unknown } | null;
}

/**
 * The address of the client that sent the request.
 *
 * @param c the request context
 * @returns the address, or undefined when the server passed none
 */
export function clientAddress(c: Context): string | undefined {
  const env = c.env as _Env | undefined;
  if (env === undefined || env === null || typeof env !== "object") return undefined;
  const found =
    env.remoteAddress ??
    env.incoming?.socket?.remoteAddress ??
    env.remoteAddr?.hostname ??
    (typeof env.requestIP === "function" ? env.requestIP(c.req.raw)?.address : undefined);
  return typeof found === "string" && found !== "" ? found : undefined;
}

/**
 * Who the client is, for rate limits and refusal log lines: the peer address, or — only when the
 * peer is one of `trustedProxies` — the right-most address in `X-Forwarded-For` (or `Forwarded:
 * for=`) that is not a trusted proxy itself. A client cannot choose its key by sending the header
 * directly. IPv6 clients are keyed by their /64.
 *
 * @param c the request context
 * @param trustedProxies addresses or CIDR ranges of the reverse proxies in front of the app
 * @returns the key ("unknown" when the server passed no address)
 */
export function clientKey(c: Context, trustedProxies: readonly string[] = []): string {
  const peer = clientAddress(c);
  if (peer === undefined) return "unknown";
  const trusted = (ip: string) => trustedProxies.some((range) => addressInRange(ip, range));
  let client = peer;
  if (trusted(peer)) {
    const hops = _forwarded(c);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      client = hop;
      if (!trusted(hop)) break;
    }
  }
  return clientKeyOf(client);
}

/** The client addresses proxies appended, first to last (`Forwarded` wins over `X-Forwarded-For`). */
function _forwarded(c: Context): string[] {
  const forwarded = c.req.header("forwarded");
  if (forwarded !== undefined) {
    return [...forwarded.matchAll(/for="?\[?([0-9A-Fa-f:.]+)\]?(?::\d+)?"?/g)].map((m) => m[1] as string);
  }
  return (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => /^[0-9A-Fa-f:.]+$/.test(s));
}
