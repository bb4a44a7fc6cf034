/**
 * The client's address, for the rate limits: the `remoteAddress` binding this app's runtime adapters
 * pass, or, when the app is mounted in a host app, what the host's server passes as the env.
 *
 * @module
 */
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
