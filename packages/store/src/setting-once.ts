/**
 * A setting made once: the first writer's value wins, also when several processes race.
 *
 * @module
 */
import { settings } from "./schema.ts";
import { getSetting } from "./settings.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/**
 * The setting's value; when it was never set, stores `value` first. When several processes call
 * this at once, all of them get the value of the one that stored first.
 *
 * @param store the open store
 * @param key the setting's name
 * @param value the value to store when there is none
 * @param now when (default now)
 * @returns the stored value
 * @example
 * ```ts
 * import { initSetting, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await initSetting(store, "site.id", "a");
 * console.log(await initSetting(store, "site.id", "b")); // "a"
 * store.close();
 * ```
 */
export async function initSetting(
  store: Store,
  key: string,
  value: unknown,
  now: Date = new Date(),
): Promise<unknown> {
  const known = await getSetting(store, key);
  if (known !== undefined) return known;
  await writeTransaction(store, (tx) =>
    tx.insert(settings).values({ key, value, updatedAt: now.toISOString() }).onConflictDoNothing().run(),
  );
  return await getSetting(store, key);
}
