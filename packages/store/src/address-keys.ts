/**
 * Comparing mailbox addresses by their key (core's `addressKey`): case-insensitive in the local part
 * unless the instance's `addressCase` is `"sensitive"`. The mailbox keeps its address as first typed
 * for display; `address_key` is what lookups and the per-instance uniqueness use.
 *
 * @module
 */
import { addressKey } from "@mailreg/core";
import { and, asc, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import { instances, mailboxes } from "./schema.ts";
import type { Store } from "./store.ts";

type Db = Pick<Store["db"], "select" | "update">;

/** Mailboxes of one instance whose addresses differ only by case, found when keys were filled in. */
export interface AddressKeyDuplicate {
  instanceId: string;
  /** The key they share. */
  addressKey: string;
  /** The mailbox that got the key (the oldest). */
  kept: { id: string; address: string };
  /** The others: they keep working under their exact address, with no key, until an admin merges or deletes them. */
  duplicates: { id: string; address: string }[];
}

/** Whether an instance's settings (as mirrored from the config) ask for case-sensitive comparison. */
export function caseSensitiveSettings(settings: Record<string, unknown> | null | undefined): boolean {
  return settings?.addressCase === "sensitive";
}

/** Whether an instance compares addresses case-sensitively (an unknown instance: no). */
export async function instanceCaseSensitive(db: Db, instanceId: string): Promise<boolean> {
  const row = await db
    .select({ settings: instances.settings })
    .from(instances)
    .where(eq(instances.id, instanceId))
    .get();
  return caseSensitiveSettings(row?.settings);
}

/**
 * The condition "this mailbox row has the address `address` (normalised) under key `key`": its key
 * matches, or it is a reported case-duplicate (no key) with exactly this address.
 */
export function addressMatch(keys: string[], address: string): SQL {
  return or(
    inArray(mailboxes.addressKey, keys),
    and(isNull(mailboxes.addressKey), eq(mailboxes.address, address)),
  ) as SQL;
}

/**
 * Gives every mailbox without an address key its key, oldest first per instance. A mailbox whose key
 * another mailbox of its instance already has (addresses differing only by case, made before keys
 * existed) is left without one and reported: nothing is merged, and it keeps working by its exact
 * address. `migrate` runs this after the SQL migrations; it is cheap when every key is set.
 *
 * @param store the open store
 * @returns the groups of case-duplicates (empty when there are none)
 */
export async function fillAddressKeys(store: Store): Promise<AddressKeyDuplicate[]> {
  const rows = await store.db
    .select({
      id: mailboxes.id,
      instanceId: mailboxes.instanceId,
      address: mailboxes.address,
      addressKey: mailboxes.addressKey,
      settings: instances.settings,
    })
    .from(mailboxes)
    .innerJoin(instances, eq(instances.id, mailboxes.instanceId))
    .orderBy(asc(mailboxes.createdAt), asc(mailboxes.id))
    .all();
  if (rows.every((r) => r.addressKey !== null)) return [];
  const taken = new Map<string, { id: string; address: string }>();
  for (const r of rows) {
    if (r.addressKey !== null) taken.set(`${r.instanceId}\u0000${r.addressKey}`, r);
  }
  const groups = new Map<string, AddressKeyDuplicate>();
  for (const r of rows) {
    if (r.addressKey !== null) continue;
    let key: string;
    try {
      key = addressKey(r.address, { caseSensitive: caseSensitiveSettings(r.settings) });
    } catch {
      key = r.address; // stored before validation was this strict: compared as is
    }
    const slot = `${r.instanceId}\u0000${key}`;
    const owner = taken.get(slot);
    if (owner === undefined) {
      await store.db.update(mailboxes).set({ addressKey: key }).where(eq(mailboxes.id, r.id)).run();
      taken.set(slot, r);
      continue;
    }
    const group = groups.get(slot) ?? {
      instanceId: r.instanceId,
      addressKey: key,
      kept: { id: owner.id, address: owner.address },
      duplicates: [],
    };
    group.duplicates.push({ id: r.id, address: r.address });
    groups.set(slot, group);
  }
  return [...groups.values()];
}

/**
 * Brings the address keys in line with the instances' `addressCase` after the config changed it:
 * a mailbox whose key no longer matches its instance's comparison loses it and gets the new one
 * ({@link fillAddressKeys}); mailboxes that now collide (an instance turned case-insensitive) are
 * reported, not merged. Does nothing when every key matches.
 *
 * @param store the open store
 * @returns the groups of case-duplicates (empty when there are none)
 */
export async function rekeyAddresses(store: Store): Promise<AddressKeyDuplicate[]> {
  const rows = await store.db
    .select({
      id: mailboxes.id,
      address: mailboxes.address,
      addressKey: mailboxes.addressKey,
      settings: instances.settings,
    })
    .from(mailboxes)
    .innerJoin(instances, eq(instances.id, mailboxes.instanceId))
    .all();
  const stale: string[] = [];
  for (const r of rows) {
    if (r.addressKey === null) continue;
    let key: string;
    try {
      key = addressKey(r.address, { caseSensitive: caseSensitiveSettings(r.settings) });
    } catch {
      continue; // kept as it was keyed
    }
    if (key !== r.addressKey) stale.push(r.id);
  }
  if (stale.length > 0) {
    await store.db.update(mailboxes).set({ addressKey: null }).where(inArray(mailboxes.id, stale)).run();
  }
  return await fillAddressKeys(store);
}
