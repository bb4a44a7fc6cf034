/**
 * A mailbox as the admin API and pages show it: its clear fields and sync state, without the
 * sealed credentials; one mailbox also with how its collection stands (`mailboxSyncState`).
 *
 * @module
 */
import {
  type Mailbox,
  type MailboxSyncState,
  type MailboxWorkerState,
  mailboxSyncState,
  mailboxSyncStates,
  type Store,
} from "@mailreg/store";

/** A mailbox without `sealed`. */
export type MailboxFields = Omit<Mailbox, "sealed">;

/** A mailbox with its sync state. */
export type MailboxView = MailboxFields & { sync: MailboxSyncState };

/** How a mailbox's collection stands: last run, status, fetched, last error, next due and why. */
export type MailboxState = Omit<
  MailboxWorkerState,
  "mailboxId" | "address" | "instanceId" | "createdAt" | "lease"
>;

/** One mailbox with its sync state and how its collection stands. */
export type MailboxDetail = MailboxView & { state: MailboxState };

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

/**
 * One mailbox with its sync state and how its collection stands, as every worker process sees it.
 *
 * @param store the open store
 * @param mailbox the mailbox
 * @param options the worker's default interval (config `worker.intervalSeconds`) and the time
 * @returns the detail
 */
export async function mailboxDetail(
  store: Store,
  mailbox: Mailbox,
  options: { defaultIntervalSeconds: number; now: Date },
): Promise<MailboxDetail> {
  const [[view], full] = await Promise.all([
    mailboxViews(store, [mailbox]),
    mailboxSyncState(store, mailbox.id, options),
  ]);
  const {
    mailboxId: _id,
    address: _address,
    instanceId: _instance,
    createdAt: _created,
    lease: _lease,
    ...state
  } = full;
  return { ...view!, state };
}
