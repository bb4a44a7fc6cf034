/**
 * Delivering dead letters again: what a sink gave up on, after the administrator fixed the receiver.
 *
 * @module
 */
import { deleteDeadLetter, getMessage, listDeadLetters, type Store } from "@mailreg/store";
import { parseEnvelope } from "./envelope.ts";
import type { MessageKey, Sink } from "./sink.ts";

/** What {@link redeliverDeadLetters} did. */
export interface RedeliveryResult {
  /** Delivered now and removed from the list. */
  delivered: number;
  /** Failed again (kept). */
  failed: number;
  /** No sink given for them, or their message is gone (kept). */
  skipped: number;
}

/**
 * Delivers the dead letters of the given sinks again, oldest last page first; those delivered are
 * removed. Only stored-message events are redelivered (a flag change is sent again by the next run
 * that sees another change).
 *
 * @param store the open store
 * @param sinks the sinks to deliver with, matched by `id ?? kind`
 * @param options only one mailbox's; at most `limit` (default 100)
 * @returns counts
 * @example
 * ```ts
 * import { createWebhookSink, redeliverDeadLetters } from "@mailreg/imap-sync";
 * import { openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * const hook = createWebhookSink({ url: "https://hooks.example.org/mail", secret: "s3cret" });
 * console.log(await redeliverDeadLetters(store, [hook]));
 * store.close();
 * ```
 */
export async function redeliverDeadLetters(
  store: Store,
  sinks: readonly Sink[],
  options: { mailboxId?: string; limit?: number } = {},
): Promise<RedeliveryResult> {
  const result: RedeliveryResult = { delivered: 0, failed: 0, skipped: 0 };
  const letters = await listDeadLetters(store, options);
  for (const letter of letters.reverse()) {
    const sink = sinks.find((s) => (s.id ?? s.kind) === letter.sink);
    const row = letter.messageRowId === null ? undefined : await getMessage(store, letter.messageRowId);
    if (sink === undefined || row === undefined || letter.event !== "message.stored") {
      result.skipped++;
      continue;
    }
    const key: MessageKey =
      row.uidl !== null
        ? { mailboxId: row.mailboxId, folder: row.folder, uidl: row.uidl }
        : {
            mailboxId: row.mailboxId,
            folder: row.folder,
            uidValidity: row.uidvalidity ?? 0,
            uid: row.uid ?? 0,
          };
    try {
      const dead = await sink.store(
        {
          id: row.id,
          raw: row.raw,
          size: row.size,
          flags: row.flags,
          envelope: parseEnvelope(row.raw),
          delimiter: null,
          ...(row.internalDate === null ? {} : { internalDate: new Date(row.internalDate) }),
        },
        key,
        row.contentHash,
      );
      if (dead !== undefined) {
        result.failed++;
        continue;
      }
    } catch {
      result.failed++;
      continue;
    }
    await deleteDeadLetter(store, letter.id);
    result.delivered++;
  }
  return result;
}
