/**
 * The network policy at submit time for servers an owner types in: `connectTarget` of
 * `@mailreg/core` (the same decision every later connection makes — verify, check, sync, IDLE,
 * sending, Sent-folder append), turned into a field error. Without a resolver only IP literals,
 * local names and the port are judged.
 *
 * @module
 */
import { connectTarget, isMailregError, type NetworkPolicy } from "@mailreg/core";
import type { ResolveHost } from "../deps.ts";
import type { FieldErrorCode } from "../http/field-errors.ts";

/**
 * Whether the owner may use `host:port`: undefined when allowed, else the field error code.
 *
 * @param host the typed-in host
 * @param port the typed-in (or default) port
 * @param options the network policy, and a resolver for names
 * @returns undefined, "host-not-allowed" (also for a name without addresses: from outside, an unknown
 *   name and a forbidden one look the same) or "port-not-allowed"
 */
export async function checkHostPolicy(
  host: string,
  port: number,
  options: { policy: NetworkPolicy; resolveHost?: ResolveHost | undefined },
): Promise<FieldErrorCode | undefined> {
  const { resolveHost } = options;
  try {
    await connectTarget(options.policy, host, port, resolveHost ?? (async () => []));
    return undefined;
  } catch (error) {
    if (isMailregError(error, "MAIL_CONNECTION_FAILED")) {
      return resolveHost === undefined ? undefined : "host-not-allowed";
    }
    if (!isMailregError(error, "MAIL_HOST_NOT_ALLOWED")) throw error;
    return error.details?.policy === "port" ? "port-not-allowed" : "host-not-allowed";
  }
}
