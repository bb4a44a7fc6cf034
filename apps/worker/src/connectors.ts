/**
 * The connectors the worker knows: the registries of `@mailreg/imap-sync` (sources, sinks) and
 * `@mailreg/oauth` (providers), which the config is validated against at start. Adding a connector
 * to a package's registry adds it here without an edit.
 *
 * @module
 */
import type { ConnectorRegistries } from "@mailreg/core";
import { SINKS, SOURCES } from "@mailreg/imap-sync";
import { OAUTH_PROVIDERS } from "@mailreg/oauth";

/** The registries to validate a config against (`loadConfig({ connectors: CONNECTORS })`). */
export const CONNECTORS: ConnectorRegistries = { sources: SOURCES, sinks: SINKS, providers: OAUTH_PROVIDERS };
