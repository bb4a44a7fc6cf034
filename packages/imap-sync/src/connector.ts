/**
 * How a source or sink file declares itself: {@link defineSource} and {@link defineSink} join the
 * factory with what config validation and the views need to know (kind, label, options schema,
 * defaults). A connector is then one file exporting one of these, plus one line in `SOURCES`
 * (`sources.ts`) or `SINKS` (`sinks.ts`).
 *
 * @module
 */
import {
  type ConfiguredConnectorInfo,
  MailregError,
  type Security,
  type SourceInfo,
  type ValidationIssue,
} from "@mailreg/core";
import type { z } from "zod";
import type { Sink } from "./sink.ts";
import type { SourceFactory } from "./source.ts";

/** A source: its factory (connect for a profile), carrying its kind, label and default ports. */
export interface SourceConnector extends SourceFactory, SourceInfo {}

/**
 * Declares a source: the factory, callable as before, with its metadata attached.
 *
 * @param info the protocol name (`kind`, what profiles and server templates name), its label for
 *   people, its default port for each security, and whether it collects again what the store
 *   deleted (`refetchesDeleted`)
 * @param connect connects a profile and returns the {@link Source}
 * @returns the source connector, for one line in `SOURCES`
 * @example
 * ```ts
 * import { defineSource } from "@mailreg/imap-sync";
 * const jmap = defineSource(
 *   { kind: "jmap", label: "JMAP", defaultPorts: { tls: 443, starttls: 443, none: 80 } },
 *   async () => { throw new Error("not written yet"); },
 * );
 * console.log(jmap.kind, jmap.defaultPort("tls")); // jmap 443
 * ```
 */
export function defineSource(
  info: {
    kind: string;
    label: string;
    defaultPorts: Readonly<Record<Security, number>>;
    /** See `SourceInfo.refetchesDeleted` of `@mailreg/core` (POP3: true). */
    refetchesDeleted?: boolean;
  },
  connect: SourceFactory,
): SourceConnector {
  const metadata: SourceInfo = {
    kind: info.kind,
    label: info.label,
    defaultPort: (security) => info.defaultPorts[security],
    ...(info.refetchesDeleted === undefined ? {} : { refetchesDeleted: info.refetchesDeleted }),
  };
  // a fresh function per kind, so one factory can back two kinds with their own metadata
  return Object.assign(((profile, options) => connect(profile, options)) as SourceFactory, metadata);
}

/** What a configured sink's factory gets besides its options. */
export interface SinkContext {
  /** The sink's id in the config (`sinks.<id>`): what routing rules, dead letters and `message_sinks` call it. */
  id: string;
  /** Where secrets the options name by variable (a webhook's `secretEnv`) are read from. */
  env: Readonly<Record<string, string | undefined>>;
}

/** A sink kind that a config can name: its metadata, its options schema and its factory. */
export interface SinkConnector extends ConfiguredConnectorInfo {
  /**
   * Builds the sink from a config entry's options (every key but `kind`), checked against
   * {@link ConfiguredConnectorInfo.options} first.
   *
   * @param options the options, as the config holds them
   * @param context the sink's id and the environment
   * @returns the sink
   * @throws {MailregError} CONFIG_INVALID with `details.issues` (paths relative to the entry)
   */
  create(options: unknown, context: SinkContext): Sink;
}

/**
 * Declares a sink kind: the options schema (a strict zod object; its `.describe()` texts reach the
 * config's JSON Schema) and a factory that gets the checked options.
 *
 * @param definition kind, label, options schema and factory
 * @returns the sink connector, for one line in `SINKS`
 * @example
 * ```ts
 * import { defineSink } from "@mailreg/imap-sync";
 * import { z } from "zod";
 * const logSink = defineSink({
 *   kind: "log",
 *   label: "Log",
 *   options: z.strictObject({ prefix: z.string().default("mail") }),
 *   create: (options) => ({
 *     kind: "log",
 *     async store(message) { console.log(options.prefix, message.envelope.subject); return undefined; },
 *   }),
 * });
 * console.log(logSink.create({}, { id: "log", env: {} }).kind); // log
 * ```
 */
export function defineSink<S extends z.ZodObject>(definition: {
  kind: string;
  label: string;
  options: S;
  create(options: z.output<S>, context: SinkContext): Sink;
}): SinkConnector {
  return {
    kind: definition.kind,
    label: definition.label,
    options: definition.options,
    create(options, context) {
      const parsed = definition.options.safeParse(options);
      if (!parsed.success) {
        const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({
          path: issue.path.map(String).join(".") || "(root)",
          message: issue.message,
        }));
        throw new MailregError(
          "CONFIG_INVALID",
          `The ${definition.label} sink's options are not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
          { details: { issues } },
        );
      }
      return definition.create(parsed.data, context);
    },
  };
}
