/**
 * The Node adapter: serves the app with @hono/node-server and passes each request's peer address
 * to the rate limit.
 *
 * @module
 */
import { lookup, Resolver } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { RegistrationApp } from "./app.ts";
import { type PrepareOptions, prepareApp } from "./prepare.ts";

/** Options of {@link startRegistrationServer}. */
export interface StartOptions extends PrepareOptions {
  /** The address to listen on; default `config.server.host`. */
  host?: string;
  /** The port; default `config.server.port` (0 picks a free one). */
  port?: number;
}

/** A running server. */
export interface RunningServer extends RegistrationApp {
  /** Where it listens, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Stops listening, ends open connections and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the registration site and admin app on Node.
 *
 * @param options the config (paths resolved), the listen address, and the app's other dependencies
 * @returns the running server
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * import { startRegistrationServer } from "@mailreg/registration/node";
 * const { config } = await loadConfig();
 * const server = await startRegistrationServer({ config });
 * console.log(`${server.url}/register`);
 * ```
 */
export async function startRegistrationServer(options: StartOptions): Promise<RunningServer> {
  const { host = options.config.server.host, port = options.config.server.port, ...rest } = options;
  const prepared = await prepareApp({
    resolveHost: _resolveHost(options.config.registration.dnsServers),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...rest,
  });
  const { app, store } = prepared;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: (request, env) => app.fetch(request, { remoteAddress: env.incoming.socket.remoteAddress }),
        hostname: host,
        port,
      },
      () => resolve(s),
    );
    s.once("error", reject);
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    app,
    context: prepared.context,
    url: `http://${shown}:${address.port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      store.close();
    },
  };
}

/** All addresses of a name: from the configured DNS servers, else the system resolver. */
function _resolveHost(servers: readonly string[]): (name: string) => Promise<string[]> {
  if (servers.length === 0) return async (name) => (await lookup(name, { all: true })).map((a) => a.address);
  return async (name) => {
    const resolver = new Resolver({ timeout: 3_000, tries: 2 });
    resolver.setServers([...servers]);
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    return [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
  };
}
