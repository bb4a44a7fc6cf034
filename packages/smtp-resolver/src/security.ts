/**
 * Which connection security an SMTP setting means: an explicit `security` wins; without one the port
 * decides (465 implicit TLS, 587 STARTTLS required, anything else opportunistic STARTTLS).
 *
 * @module
 */
import type { Security } from "@mailreg/core";

/**
 * The security a connection uses:
 * - `tls`: TLS from the first byte (SMTPS, port 465);
 * - `starttls`: plain connect, then STARTTLS, and the connection fails when the server does not offer it;
 * - `opportunistic`: STARTTLS when the server offers it, else plain (port 25 between servers);
 * - `none`: never TLS, even when offered.
 */
export type EffectiveSecurity = "tls" | "starttls" | "opportunistic" | "none";

/** An effective security and whether the setting or the port chose it. */
export interface SecurityChoice {
  security: EffectiveSecurity;
  source: "explicit" | "port";
}

/** What each well-known submission port means when no security is set. */
export const PORT_SECURITY: Readonly<Record<number, EffectiveSecurity>> = { 465: "tls", 587: "starttls" };

/**
 * The security of a setting.
 *
 * @param settings the port and the optional explicit security
 * @returns the security and what chose it
 * @example
 * ```ts
 * import { effectiveSecurity } from "@mailreg/smtp-resolver";
 * console.log(effectiveSecurity({ port: 465 })); // { security: "tls", source: "port" }
 * console.log(effectiveSecurity({ port: 465, security: "starttls" })); // { security: "starttls", source: "explicit" }
 * console.log(effectiveSecurity({ port: 25 })); // { security: "opportunistic", source: "port" }
 * ```
 */
export function effectiveSecurity(settings: {
  port: number;
  security?: Security | undefined;
}): SecurityChoice {
  if (settings.security !== undefined) return { security: settings.security, source: "explicit" };
  return { security: PORT_SECURITY[settings.port] ?? "opportunistic", source: "port" };
}
