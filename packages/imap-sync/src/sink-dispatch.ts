/**
 * Handing stored messages to the sinks their routing rules choose, and what became of each
 * delivery: the outcome per message and sink (for `message_sinks`) and the dead letters to keep.
 * Used by the sync engine for new messages, and by re-running rules and retrying dead letters.
 *
 * @module
 */
import type { Routing } from "@mailreg/core";
import type { SinkResult, StoredDeadLetter } from "./ports.ts";
import { routeMessage } from "./routing.ts";
import type { DeadLetter, MessageKey, Sink, SinkMessage } from "./sink.ts";

/** A message ready for sinks: its key and content hash beside it. */
export interface DispatchMessage extends SinkMessage {
  key: MessageKey;
  contentHash: string;
}

/** What handing messages to sinks did. */
export interface DispatchResult {
  /** One outcome per message and sink (delivered, dropped, failed, dead-letter). */
  results: SinkResult[];
  /** What sinks gave up on (or threw on), to keep in the store. */
  deadLetters: StoredDeadLetter[];
}

/**
 * The name a sink has in routing rules, dead letters and `message_sinks`: its `id`, else its kind.
 *
 * @param sink the sink
 * @returns the name
 */
export function sinkName(sink: Sink): string {
  return sink.id ?? sink.kind;
}

/**
 * Hands each message to the sinks its routing chooses (every sink without routing); a sink not
 * chosen is recorded as `dropped` for it. Sinks in `skip` for a message (already delivered) are left
 * alone entirely.
 *
 * @param sinks the sinks, named by {@link sinkName}
 * @param routing the instance's routing, or undefined
 * @param messages the stored messages
 * @param skip per message id, the sinks to leave alone
 * @returns the outcomes and dead letters
 */
export async function dispatchToSinks(
  sinks: readonly Sink[],
  routing: Routing | undefined,
  messages: readonly DispatchMessage[],
  skip: (messageId: string, sink: string) => boolean = () => false,
): Promise<DispatchResult> {
  const out: DispatchResult = { results: [], deadLetters: [] };
  if (sinks.length === 0) return out;
  const names = sinks.map(sinkName);
  for (const message of messages) {
    const chosen = new Set(
      routeMessage(
        routing,
        { folder: message.key.folder, raw: message.raw, size: message.size, envelope: message.envelope },
        names,
      ).sinks,
    );
    for (const sink of sinks) {
      const name = sinkName(sink);
      if (skip(message.id, name)) continue;
      if (!chosen.has(name)) {
        out.results.push({ messageRowId: message.id, sink: name, state: "dropped" });
        continue;
      }
      const outcome = await deliverToSink(sink, message);
      out.results.push(outcome.result);
      if (outcome.deadLetter !== undefined) {
        out.deadLetters.push({
          ...outcome.deadLetter,
          mailboxId: message.key.mailboxId,
          messageRowId: message.id,
        });
      }
    }
  }
  return out;
}

/**
 * Delivers one message to one sink: a give-up (a dead letter returned) or a throw is an outcome,
 * never an exception.
 *
 * @param sink the sink
 * @param message the message, with its key and content hash
 * @returns the outcome and, when it failed, the dead letter to keep
 */
export async function deliverToSink(
  sink: Sink,
  message: DispatchMessage,
): Promise<{ result: SinkResult; deadLetter?: DeadLetter }> {
  const name = sinkName(sink);
  try {
    const dead = await sink.store(message, message.key, message.contentHash);
    if (dead === undefined) return { result: { messageRowId: message.id, sink: name, state: "delivered" } };
    // kept under the sink's name in the config (what a retry looks it up by), not the sink's own id
    return {
      result: {
        messageRowId: message.id,
        sink: name,
        state: "dead-letter",
        attempts: dead.attempts,
        lastError: dead.lastError,
      },
      deadLetter: { ...dead, sink: name },
    };
  } catch (error) {
    const lastError = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    return {
      result: { messageRowId: message.id, sink: name, state: "failed", attempts: 1, lastError },
      deadLetter: {
        sink: name,
        event: "message.stored",
        payload: { key: message.key, contentHash: message.contentHash, envelope: message.envelope },
        attempts: 1,
        lastError,
      },
    };
  }
}
