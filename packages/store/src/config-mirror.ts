/**
 * Copying the config's instances and server templates into the store, as every process does at
 * start: the config is the source of truth, and applying a registration, the schedules and the
 * admin pages read them from the store. Entries no longer in the config stay in the store.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { type AddressKeyDuplicate, rekeyAddresses } from "./address-keys.ts";
import { upsertInstances, upsertServerTemplates } from "./instances.ts";
import type { Store } from "./store.ts";

/**
 * Upserts the config's instances (their settings as JSON) and server templates (the rest of each
 * template as JSON extras), by id. When an instance's `addressCase` changed, its mailboxes' address
 * keys follow ({@link rekeyAddresses}); mailboxes that then collide are returned, not merged.
 *
 * @param store the open store
 * @param config the validated config
 * @returns the groups of case-duplicate mailboxes (empty when there are none)
 * @example
 * ```ts
 * import { sampleConfig } from "@mailreg/core/testing";
 * import { listInstances, mirrorConfig, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await mirrorConfig(store, sampleConfig());
 * console.log((await listInstances(store)).map((i) => i.id)); // ["main"]
 * store.close();
 * ```
 */
export async function mirrorConfig(store: Store, config: Config): Promise<AddressKeyDuplicate[]> {
  await upsertInstances(
    store,
    config.instances.map(({ id, label, ...settings }) => ({ id, label, settings })),
  );
  await upsertServerTemplates(
    store,
    config.servers.map(({ id, label, protocol, host, port, security, ...extras }) => ({
      id,
      label,
      protocol,
      host,
      port,
      security,
      extras,
    })),
  );
  return await rekeyAddresses(store);
}
