/**
 * Small settings kept in the store as key → JSON value.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import { settings } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { inWriteTransaction } from "./write-lock.ts";

/**
 * A setting's value.
 *
 * @param store the open store
 * @param key the setting's name
 * @returns the stored JSON value, or undefined when it was never set
 */
export async function getSetting(store: Store, key: string): Promise<unknown> {
  const row = await store.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, key))
    .get();
  return row?.value;
}

/**
 * Sets a setting, on its own or as one step of the caller's transaction.
 *
 * @param target the open store, or a transaction to join
 * @param key the setting's name
 * @param value any JSON value
 * @param now when (default now)
 */
export async function setSetting(
  target: Store | StoreTx,
  key: string,
  value: unknown,
  now: Date = new Date(),
): Promise<void> {
  const updatedAt = now.toISOString();
  await inWriteTransaction(target, (tx) =>
    tx
      .insert(settings)
      .values({ key, value, updatedAt })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt } })
      .run(),
  );
}
