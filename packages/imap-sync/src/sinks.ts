/**
 * The sink registry: kind → factory, for sinks chosen by configuration. Adding a sink is one new
 * file, one line in {@link SINKS} and its options in {@link SinkConfig}.
 *
 * @module
 */
import { createEventSink } from "./event-sink.ts";
import { createMaildirSink, type MaildirSinkOptions } from "./maildir-sink.ts";
import type { Sink } from "./sink.ts";
import { createWebhookSink, type WebhookSinkOptions } from "./webhook-sink.ts";

/** A configured sink: its kind and that kind's options. */
export type SinkConfig =
  | ({ kind: "maildir" } & MaildirSinkOptions)
  | ({ kind: "webhook" } & WebhookSinkOptions)
  | { kind: "events" };

/** Every configurable sink, by kind (the store sink is not here: the engine always has it). */
export const SINKS: ReadonlyMap<SinkConfig["kind"], (config: SinkConfig) => Sink> = new Map<
  SinkConfig["kind"],
  (config: SinkConfig) => Sink
>([
  ["maildir", (c) => createMaildirSink(c as MaildirSinkOptions)],
  ["webhook", (c) => createWebhookSink(c as WebhookSinkOptions)],
  ["events", () => createEventSink()],
]);

/**
 * Builds a sink from its configuration.
 *
 * @param config the kind and its options
 * @param id the sink's name in routing rules, dead letters and `message_sinks` (a config's sink id);
 *   default the kind's own (`webhook:https://…`, `maildir:/path`)
 * @returns the sink
 * @throws {TypeError} for an unknown kind
 * @example
 * ```ts
 * import { createSink } from "@mailreg/imap-sync";
 * const sink = createSink({ kind: "maildir", root: "./export" });
 * console.log(sink.kind); // maildir
 * const named = createSink({ kind: "maildir", root: "./export" }, "archive");
 * console.log(named.id); // archive
 * ```
 */
export function createSink(config: SinkConfig, id?: string): Sink {
  const factory = SINKS.get(config.kind);
  if (factory === undefined) throw new TypeError(`Unknown sink kind: ${String(config.kind)}`);
  const sink = factory(config);
  return id === undefined ? sink : { ...sink, id };
}
