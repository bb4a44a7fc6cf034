/**
 * Whether a TCP port accepts connections (the first step of "check mailbox").
 *
 * @module
 */
import { connect } from "node:net";
import { connectTarget, type NetworkPolicy } from "@mailreg/core";
import { _dnsResolve } from "./_dns.ts";

/**
 * Opens and closes a TCP connection.
 *
 * @param host the host
 * @param port the port
 * @param timeoutMs how long to wait
 * @param policy the network policy (the name resolved once, the checked address probed)
 * @throws the socket's error (ECONNREFUSED, ENOTFOUND …) or ETIMEDOUT; MailregError
 *   MAIL_HOST_NOT_ALLOWED when the policy refuses the server
 */
export async function _tcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  policy?: NetworkPolicy,
): Promise<void> {
  const target = await connectTarget(policy, host, port, _dnsResolve(policy?.dnsServers ?? []));
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: target.address, port });
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
