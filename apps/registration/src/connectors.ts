/**
 * The connectors this app knows: the registries of `@mailreg/imap-sync` (sources, sinks) and
 * `@mailreg/oauth` (providers). Config validation at start, the registration form's protocol choice,
 * the public API's schema and the admin's OAuth page ask them; adding a connector to a package's
 * registry adds it here without an edit.
 *
 * @module
 */
import type { ConnectorRegistries } from "@mailreg/core";
import { SINKS, SOURCES } from "@mailreg/imap-sync";
import { OAUTH_PROVIDERS } from "@mailreg/oauth";

/** The registries to validate a config against (`loadConfig({ connectors: CONNECTORS })`). */
export const CONNECTORS: ConnectorRegistries = { sources: SOURCES, sinks: SINKS, providers: OAUTH_PROVIDERS };

/**
 * The protocols of the registered sources, for schemas (a zod enum wants a non-empty tuple).
 *
 * @returns the protocol names, in registry order
 */
export function protocolNames(): [string, ...string[]] {
  const [first = "imap", ...rest] = SOURCES.keys();
  return [first, ...rest];
}
