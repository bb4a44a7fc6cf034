/**
 * The Deno adapter: `npx deno run -A apps/registration/src/main.deno.ts [--config FILE]` loads the
 * config, prepares the app and serves it with `Deno.serve`.
 *
 * @module
 */
import { loadConfig } from "@mailreg/core";
import { CONNECTORS } from "./connectors.ts";
import { type PrepareOptions, prepareApp } from "./prepare.ts";

interface _DenoServe {
  serve(
    options: {
      hostname: string;
      port: number;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
  resolveDns(name: string, type: "A" | "AAAA"): Promise<string[]>;
  args: string[];
}

const _deno = (globalThis as unknown as { Deno: _DenoServe }).Deno;

/**
 * Serves the app with `Deno.serve`.
 *
 * @param options the config and the app's other dependencies
 * @returns the URL and a function that stops the server and closes the store
 */
export async function serveDeno(options: PrepareOptions): Promise<{ url: string; close(): Promise<void> }> {
  const resolveHost = async (name: string) =>
    (await Promise.allSettled([_deno.resolveDns(name, "A"), _deno.resolveDns(name, "AAAA")])).flatMap((r) =>
      r.status === "fulfilled" ? r.value : [],
    );
  const { app, store } = await prepareApp({
    resolveHost,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...options,
  });
  const { host, port } = options.config.server;
  let server: ReturnType<_DenoServe["serve"]> | undefined;
  const url = await new Promise<string>((resolve) => {
    server = _deno.serve(
      {
        hostname: host,
        port,
        onListen: (addr) =>
          resolve(
            `http://${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${addr.port}`,
          ),
      },
      (request, info) => app.fetch(request, { remoteAddress: info.remoteAddr.hostname }),
    );
  });
  return {
    url,
    close: async () => {
      await server?.shutdown();
      store.close();
    },
  };
}

if ((import.meta as { main?: boolean }).main === true) {
  const at = _deno.args.indexOf("--config");
  const path = at >= 0 ? _deno.args[at + 1] : undefined;
  const { config, warnings } = await loadConfig({
    connectors: CONNECTORS,
    ...(path === undefined ? {} : { path }),
  });
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  const { url } = await serveDeno({ config });
  console.log(`mailreg registration: ${url}/register, admin: ${url}/admin`);
}
