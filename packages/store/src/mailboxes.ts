/**
 * Mailboxes: the applied registrations, one per (instance, normalised SMTP address).
 *
 * A mailbox keeps its connection profile sealed at rest: `sealed` is the JWE of the registration last
 * applied to it, and that JWE is bound to the registration's id, so open it with
 * `mailbox.registrationId` (not `mailbox.id`) as the binding id.
 *
 * @module
 */
import { addressKey, MailregError, normalizeAddress } from "@mailreg/core";
import { and, eq } from "drizzle-orm";
import { addressMatch, instanceCaseSensitive } from "./address-keys.ts";
import { mailboxes } from "./schema.ts";
import type { Store } from "./store.ts";

/** A mailbox as stored. `sealed` is bound to `registrationId`. */
export type Mailbox = typeof mailboxes.$inferSelect;

/**
 * Mailboxes, by address then instance.
 *
 * @param store the open store
 * @param options only those of one instance
 * @returns the mailboxes
 */
export async function listMailboxes(store: Store, options: { instanceId?: string } = {}): Promise<Mailbox[]> {
  return await store.db
    .select()
    .from(mailboxes)
    .where(options.instanceId === undefined ? undefined : eq(mailboxes.instanceId, options.instanceId))
    .orderBy(mailboxes.address, mailboxes.instanceId)
    .all();
}

/**
 * One mailbox by id.
 *
 * @param store the open store
 * @param id the mailbox's id
 * @returns the mailbox
 * @throws {MailregError} NOT_FOUND
 */
export async function getMailbox(store: Store, id: string): Promise<Mailbox> {
  const row = await store.db.select().from(mailboxes).where(eq(mailboxes.id, id)).get();
  if (row === undefined)
    throw new MailregError("NOT_FOUND", `Mailbox ${id} does not exist`, { details: { id } });
  return row;
}

/**
 * The mailbox of `address` in an instance, if there is one: compared by address key, so `Ann@` finds
 * `ann@` unless the instance's `addressCase` is `"sensitive"`.
 *
 * @param store the open store
 * @param instanceId the instance
 * @param address the SMTP address (normalised here)
 * @returns the mailbox, or undefined (also for an invalid address)
 */
export async function findMailbox(
  store: Store,
  instanceId: string,
  address: string,
): Promise<Mailbox | undefined> {
  let normalized: string;
  let key: string;
  try {
    normalized = normalizeAddress(address);
    key = addressKey(normalized, { caseSensitive: await instanceCaseSensitive(store.db, instanceId) });
  } catch {
    return undefined;
  }
  const found = await store.db
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.instanceId, instanceId), addressMatch([key], normalized)))
    .all();
  return found.find((m) => m.address === normalized) ?? found[0];
}
