/**
 * Delivering dead letters again: what a sink gave up on, after the administrator fixed the receiver.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { parseEnvelope } from "./envelope.ts";
import type { DeadLetterQueue } from "./ports.ts";
import type { Sink } from "./sink.ts";
import { deliverToSink, sinkName } from "./sink-dispatch.ts";

/** What {@link retryDeadLetter} did. */
export type RetryResult =
  | { outcome: "delivered" }
  | { outcome: "failed"; lastError: string }
  | {
      outcome: "skipped";
      /**
       * no-sink: no configured sink has its name; message-gone: its message was deleted;
       * raw-purged: retention purged the raw source (never sent again); not-a-message-event: only
       * stored-message events are delivered again.
       */
      reason: "no-sink" | "message-gone" | "raw-purged" | "not-a-message-event";
    };

/**
 * Delivers one dead letter again (the admin's "retry"): on success it is removed and the message
 * counts as delivered to that sink; on failure it stays, with its attempts and last error updated.
 *
 * @param queue the dead letters and the messages they are about (`storeDeadLetterQueue(store)` of
 *   `@mailreg/store`, or a memory state that keeps messages)
 * @param sinks the configured sinks, matched by `id ?? kind`
 * @param id the dead letter
 * @returns what happened
 * @throws {MailregError} NOT_FOUND when there is no such dead letter
 * @example
 * ```ts
 * import { createMemorySyncState, createWebhookSink, retryDeadLetter } from "@mailreg/imap-sync";
 * const state = createMemorySyncState({ keepMessages: true });
 * const hook = createWebhookSink({ url: "https://hooks.example.org/mail", secret: "s3cret" });
 * for (const letter of await state.deadLetters({})) console.log(await retryDeadLetter(state, [hook], letter.id));
 * ```
 */
export async function retryDeadLetter(
  queue: DeadLetterQueue,
  sinks: readonly Sink[],
  id: string,
): Promise<RetryResult> {
  const letter = await queue.deadLetter(id);
  if (letter === undefined) {
    throw new MailregError("NOT_FOUND", `No dead letter has the id ${id}`, { details: { id } });
  }
  if (letter.event !== "message.stored") return { outcome: "skipped", reason: "not-a-message-event" };
  const sink = sinks.find((s) => sinkName(s) === letter.sink);
  if (sink === undefined) return { outcome: "skipped", reason: "no-sink" };
  const row = letter.messageRowId === undefined ? undefined : await queue.heldMessage(letter.messageRowId);
  if (row === undefined) return { outcome: "skipped", reason: "message-gone" };
  if (row.raw === undefined) return { outcome: "skipped", reason: "raw-purged" };
  const { result } = await deliverToSink(sink, {
    id: row.id,
    key: row.key,
    raw: row.raw,
    size: row.size,
    flags: row.flags,
    envelope: parseEnvelope(row.raw),
    delimiter: null,
    contentHash: row.contentHash,
    ...(row.internalDate === undefined ? {} : { internalDate: row.internalDate }),
  });
  await queue.ledger.recordSinkResults([result]);
  if (result.state === "delivered") {
    await queue.deleteDeadLetter(letter.id);
    return { outcome: "delivered" };
  }
  const lastError = result.lastError ?? "failed";
  await queue.recordAttempt(letter.id, { attempts: result.attempts ?? 1, lastError });
  return { outcome: "failed", lastError };
}

/** What {@link redeliverDeadLetters} did. */
export interface RedeliveryResult {
  /** Delivered now and removed from the list. */
  delivered: number;
  /** Failed again (kept). */
  failed: number;
  /** No sink given for them, their message is gone or its raw source purged (kept). */
  skipped: number;
}

/**
 * Delivers the dead letters of the given sinks again, oldest last page first; those delivered are
 * removed. Only stored-message events are redelivered (a flag change is sent again by the next run
 * that sees another change).
 *
 * @param queue the dead letters and their messages
 * @param sinks the sinks to deliver with, matched by `id ?? kind`
 * @param options only one mailbox's; at most `limit` (default 100)
 * @returns counts
 * @example
 * ```ts
 * import { createMemorySyncState, createWebhookSink, redeliverDeadLetters } from "@mailreg/imap-sync";
 * const state = createMemorySyncState({ keepMessages: true });
 * const hook = createWebhookSink({ url: "https://hooks.example.org/mail", secret: "s3cret" });
 * console.log(await redeliverDeadLetters(state, [hook])); // { delivered: 0, failed: 0, skipped: 0 }
 * ```
 */
export async function redeliverDeadLetters(
  queue: DeadLetterQueue,
  sinks: readonly Sink[],
  options: { mailboxId?: string; limit?: number } = {},
): Promise<RedeliveryResult> {
  const result: RedeliveryResult = { delivered: 0, failed: 0, skipped: 0 };
  const letters = await queue.deadLetters(options);
  for (const letter of letters.reverse()) {
    const retried = await retryDeadLetter(queue, sinks, letter.id);
    if (retried.outcome === "delivered") result.delivered++;
    else if (retried.outcome === "failed") result.failed++;
    else result.skipped++;
  }
  return result;
}
