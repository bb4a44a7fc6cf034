/**
 * Dead letters as the admin shows them: what a sink (the webhook) gave up on, with the mailbox's
 * address. Read-only here: redelivery needs the sinks, which only the worker has.
 *
 * @module
 */
import { listDeadLetters, listMailboxes, type Store } from "@mailreg/store";

/** One dead letter as listed in the admin. */
export interface DeadLetterView {
  id: string;
  mailboxId: string;
  /** The mailbox's address, or null when the mailbox is gone. */
  address: string | null;
  sink: string;
  event: string;
  attempts: number;
  lastError: string;
  createdAt: string;
}

/**
 * The dead letters, newest first, with their mailbox's address (the payload is not shown).
 *
 * @param store the open store
 * @param options at most `limit` (default 100)
 * @returns the dead letters
 */
export async function deadLetterViews(
  store: Store,
  options: { limit?: number } = {},
): Promise<DeadLetterView[]> {
  const [letters, mailboxes] = await Promise.all([listDeadLetters(store, options), listMailboxes(store)]);
  const address = new Map(mailboxes.map((m) => [m.id, m.address]));
  return letters.map((d) => ({
    id: d.id,
    mailboxId: d.mailboxId,
    address: address.get(d.mailboxId) ?? null,
    sink: d.sink,
    event: d.event,
    attempts: d.attempts,
    lastError: d.lastError,
    createdAt: d.createdAt,
  }));
}
