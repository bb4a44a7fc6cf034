/**
 * Free loopback ports, as the operating system hands them out.
 *
 * @module
 */
import { createServer, type Server } from "node:net";

/**
 * Asks the OS for `count` distinct free TCP ports on `host` (listen on port 0, read, close).
 * Another process may take a port before it is used: callers retry once on a bind failure.
 *
 * @param count how many ports
 * @param host the address to bind, 127.0.0.1 by default
 * @returns the port numbers
 * @example
 * ```ts
 * const [imap, imaps] = await freePorts(2);
 * ```
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(await _listen(server, host));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function _listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no TCP address"));
      else resolve(address.port);
    });
  });
}
