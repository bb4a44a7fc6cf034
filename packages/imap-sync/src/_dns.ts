/**
 * Resolving a mail server's name for the network policy (node:dns): the system resolver, or the
 * configured DNS servers. Each connection resolves once; `connectTarget` of `@mailreg/core` checks
 * every answer and picks the address the socket then connects to.
 *
 * @module
 */
import { lookup, Resolver } from "node:dns/promises";

/**
 * A resolver of all addresses of a name.
 *
 * @param servers DNS servers (`host` or `host:port`); empty: the system resolver (getaddrinfo)
 * @returns the resolver
 */
export function _dnsResolve(servers: readonly string[]): (name: string) => Promise<string[]> {
  if (servers.length === 0) {
    return async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);
  }
  return async (name) => {
    const resolver = new Resolver({ timeout: 3_000, tries: 2 });
    resolver.setServers([...servers]);
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    return [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
  };
}
