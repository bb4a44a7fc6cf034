/**
 * The connectors this app knows: the registries of `@mailreg/imap-sync` (sources, sinks) and
 * `@mailreg/oauth` (providers). Config validation at start, the registration form's protocol choice,
 * the public API's schema and the admin's OAuth page ask them; adding a connector to a package's
 * registry adds it here without an edit.
 *
 * @module
 */
import type { Config, ConnectorRegistries } from "@mailreg/core";
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

/**
 * What each configured sink is, for the admin pages: its config id → its kind's label in the sink
 * registry ("mbox file", "Webhook"), or the kind itself where no registered sink has it.
 *
 * @param config the config
 * @returns the labels by sink id
 */
export function sinkKindLabels(config: Config): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.sinks).map(([id, entry]) => [id, SINKS.get(entry.kind)?.label ?? entry.kind]),
  );
}
