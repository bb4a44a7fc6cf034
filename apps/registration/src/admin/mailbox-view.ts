/**
 * A mailbox as the admin API and pages show it: its clear fields and sync state, without the
 * sealed credentials.
 *
 * @module
 */
import { type Mailbox, type MailboxSyncState, mailboxSyncStates, type Store } from "@mailreg/store";

/** A mailbox without `sealed`. */
export type MailboxFields = Omit<Mailbox, "sealed">;

/** A mailbox with its sync state. */
export type MailboxView = MailboxFields & { sync: MailboxSyncState };

/**
 * The mailbox without its sealed credentials.
 *
 * @param mailbox the stored mailbox
 * @returns the clear fields
 */
export function mailboxFields(mailbox: Mailbox): MailboxFields {
  const { sealed: _sealed, ...fields } = mailbox;
  return fields;
}

/**
 * Mailboxes with their sync state.
 *
 * @param store the open store
 * @param mailboxes the mailboxes
 * @returns the views, in the same order
 */
export async function mailboxViews(store: Store, mailboxes: readonly Mailbox[]): Promise<MailboxView[]> {
  const states = await mailboxSyncStates(
    store,
    mailboxes.map((m) => m.id),
  );
  return mailboxes.map((m) => ({ ...mailboxFields(m), sync: states.get(m.id) ?? { messages: 0 } }));
}
