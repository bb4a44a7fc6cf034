/**
 * In-process subscription to collected mail: each stored message (and each flag change or
 * expunge) as an event to the listeners of a library consumer, as Intrexx's IMAP event source
 * starts a process per new mail.
 *
 * @module
 */
import type { MessageKey, Sink, SinkMessage } from "./sink.ts";

/** What listeners receive. */
export type MailEvent =
  | { type: "message.stored"; key: MessageKey; message: SinkMessage; contentHash: string }
  | { type: "message.flags"; key: MessageKey; flags: readonly string[] }
  | { type: "message.vanished"; keys: readonly MessageKey[] };

/** A listener; a returned promise is awaited before the next listener runs. */
export type MailEventListener = (event: MailEvent) => void | Promise<void>;

/** A sink whose deliveries are events for in-process listeners. */
export interface EventSink extends Sink {
  readonly kind: "events";
  /**
   * Adds a listener.
   *
   * @returns a function that removes it again
   */
  subscribe(listener: MailEventListener): () => void;
}

/**
 * A sink that hands every delivery to its subscribers, in order. A listener that throws makes the
 * delivery fail: the engine keeps it as a dead letter.
 *
 * @returns the sink; pass it in `syncMailbox`'s `sinks`
 * @example
 * ```ts
 * import { createEventSink } from "@mailreg/imap-sync";
 * const events = createEventSink();
 * const stop = events.subscribe((e) => {
 *   if (e.type === "message.stored") console.log("new mail:", e.message.envelope.subject);
 * });
 * // syncMailbox(mailbox, { state, sinks: [events] }); … stop();
 * stop();
 * ```
 */
export function createEventSink(): EventSink {
  const listeners = new Set<MailEventListener>();
  const emit = async (event: MailEvent) => {
    for (const listener of [...listeners]) await listener(event);
  };
  return {
    kind: "events",
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async store(message, key, contentHash) {
      await emit({ type: "message.stored", key, message, contentHash });
    },
    async flagsChanged(key, flags) {
      await emit({ type: "message.flags", key, flags });
    },
    async vanished(keys) {
      await emit({ type: "message.vanished", keys });
    },
  };
}
