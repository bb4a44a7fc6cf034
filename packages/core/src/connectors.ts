/**
 * What a connector tells the config and the views about itself, and the registries the config is
 * checked against. core knows no connector: sources (IMAP, POP3) live in `@mailreg/imap-sync`'s
 * `SOURCES`, sinks (Maildir, webhook, mbox …) in its `SINKS`, OAuth providers (Google, Microsoft,
 * OIDC) in `@mailreg/oauth`'s `OAUTH_PROVIDERS`. Each is one file that owns its options schema and
 * its metadata, registered by one line in its package's Map. The config names a connector by `kind`
 * and gives its options beside it; {@link configSchema} (and `validateConfig`, `loadConfig`) given
 * the registries checks each entry against its connector's schema and reports problems by path
 * (`sinks.archive.root: …`, `servers[0].protocol: …`).
 *
 * @module
 */
import type { z } from "zod";
import type { Security } from "./registration.ts";

/** What every connector of a registry says about itself. */
export interface ConnectorInfo {
  /** Its registry key: what a config entry's `kind` (a server's `protocol`) names. */
  readonly kind: string;
  /** Its name for people (views, error messages): "IMAP", "Maildir", "Microsoft". */
  readonly label: string;
}

/**
 * A configurable connector (a sink, an OAuth provider): its options are the config entry's keys
 * besides `kind`, checked by {@link ConfiguredConnectorInfo.options}.
 */
export interface ConfiguredConnectorInfo extends ConnectorInfo {
  /**
   * The schema of its options: a strict zod object of every key of a config entry but `kind`
   * (defaults filled in by it). Its fields' `.describe()` texts reach the emitted JSON Schema.
   */
  readonly options: z.ZodObject;
}

/** A source (a mail access protocol): what server templates and registrations name as `protocol`. */
export interface SourceInfo extends ConnectorInfo {
  /**
   * The port a server of this protocol listens on by default with the given security.
   *
   * @param security tls, starttls or none
   * @returns the port
   */
  defaultPort(security: Security): number;
  /**
   * Whether it recognises collected messages only by asking which are stored (POP3's UIDL has no
   * order, so there is no high-water mark): a message deleted from the store while still on the
   * server is collected again. Retention then purges such a mailbox's old raw sources instead of
   * deleting its messages.
   */
  readonly refetchesDeleted?: boolean;
}

/** An OAuth provider kind. */
export interface ProviderInfo extends ConfiguredConnectorInfo {
  /**
   * Whether it can grant app-only (client-credentials) mail access (`instances[].oauthAppOnly`);
   * false refuses such an instance at validation.
   */
  readonly appOnly: boolean;
  /**
   * A protocol rather than a company (OpenID Connect): the pages call an app of this kind by its
   * config id ("corp-sso") instead of the label ("Google").
   */
  readonly generic?: boolean;
  /**
   * Where an app of this kind signs in, for the admin's OAuth page (Microsoft's tenant, an OIDC
   * issuer); undefined where there is nothing to say.
   *
   * @param options the config entry's options
   * @returns a short text, or undefined
   */
  where?(options: Readonly<Record<string, unknown>>): string | undefined;
}

/** The registries a config's connector sections are checked against. */
export interface ConnectorRegistries {
  /** Sources by protocol (`servers[].protocol`, a registration's protocol). */
  readonly sources: ReadonlyMap<string, SourceInfo>;
  /** Configurable sinks by kind (`sinks.<id>.kind`). */
  readonly sinks: ReadonlyMap<string, ConfiguredConnectorInfo>;
  /** OAuth providers by kind (`oauth.providers.<id>.kind`). */
  readonly providers: ReadonlyMap<string, ProviderInfo>;
}

/**
 * The message for a `kind` no registry entry has.
 *
 * @param what "sink", "OAuth provider" or "protocol"
 * @param kind what the config named (any value)
 * @param registry the registry asked
 * @returns e.g. `unknown sink kind "nope" (known: maildir, webhook)`
 */
export function unknownKindMessage(
  what: string,
  kind: unknown,
  registry: ReadonlyMap<string, unknown>,
): string {
  const known = [...registry.keys()].join(", ");
  return typeof kind === "string"
    ? `unknown ${what} "${kind.slice(0, 64)}" (known: ${known})`
    : `must name one of: ${known}`;
}
