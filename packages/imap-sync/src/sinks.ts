/**
 * The sink registry: kind → connector, for the sinks a config names (`sinks.<id>.kind`). Adding a
 * sink is one new file exporting a {@link SinkConnector} (see `defineSink`) and one line here; config
 * validation (`validateConfig(…, { sinks: SINKS, … })`), `sinksFromConfig` and the admin pages ask
 * this Map. (The store sink is not here: the engine always has it.)
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import type { SinkConnector } from "./connector.ts";
import { maildirSink } from "./maildir-sink.ts";
import { mboxSink } from "./mbox-sink.ts";
import type { Sink } from "./sink.ts";
import { webhookSink } from "./webhook-sink.ts";

/** Every sink kind a config can name, by kind. */
export const SINKS: ReadonlyMap<string, SinkConnector> = new Map<string, SinkConnector>([
  ["maildir", maildirSink],
  ["mbox", mboxSink],
  ["webhook", webhookSink],
]);

/**
 * Builds a sink from a config entry: its kind and that kind's options.
 *
 * @param entry `{ kind, …options }` as `sinks.<id>` of the config holds it
 * @param id the sink's name in routing rules, dead letters and `message_sinks` (a config's sink id);
 *   default the kind's own (`webhook:https://…`, `maildir:/path`)
 * @param env where secrets named in the options are read from (a webhook's `secretEnv`)
 * @param sinks the registry; default {@link SINKS}
 * @returns the sink
 * @throws {MailregError} CONFIG_INVALID for an unknown kind or options its schema refuses (`details.issues`)
 * @example
 * ```ts
 * import { createSink } from "@mailreg/imap-sync";
 * const sink = createSink({ kind: "maildir", root: "./export" });
 * console.log(sink.kind); // maildir
 * const named = createSink({ kind: "maildir", root: "./export" }, "archive");
 * console.log(named.id); // archive
 * ```
 */
export function createSink(
  entry: { readonly kind: string; readonly [option: string]: unknown },
  id?: string,
  env: Readonly<Record<string, string | undefined>> = {},
  sinks: ReadonlyMap<string, SinkConnector> = SINKS,
): Sink {
  const { kind, ...options } = entry;
  const connector = sinks.get(kind);
  if (connector === undefined) {
    const message = `unknown sink kind "${String(kind).slice(0, 64)}" (known: ${[...sinks.keys()].join(", ")})`;
    throw new MailregError("CONFIG_INVALID", `A sink cannot be built: kind: ${message}`, {
      details: { issues: [{ path: "kind", message }] },
    });
  }
  const sink = connector.create(options, { id: id ?? kind, env });
  return id === undefined ? sink : { ...sink, id };
}
