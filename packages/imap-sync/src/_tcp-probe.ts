/**
 * Whether a TCP port accepts connections (the first step of "check mailbox").
 *
 * @module
 */
import { connect } from "node:net";

/**
 * Opens and closes a TCP connection.
 *
 * @param host the host
 * @param port the port
 * @param timeoutMs how long to wait
 * @throws the socket's error (ECONNREFUSED, ENOTFOUND …) or ETIMEDOUT
 */
export function _tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error(`No connection within ${timeoutMs} ms`), { code: "ETIMEDOUT" })),
    );
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
  });
}
