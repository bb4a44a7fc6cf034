/**
 * Mirrors the config's instances and server templates into the store (the config is the source of
 * truth; applying needs the instance in the store). Run at start.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { type Store, upsertInstances, upsertServerTemplates } from "@mailreg/store";

/**
 * Upserts the config's instances and server templates.
 *
 * @param store the open store
 * @param config the config
 */
export async function mirrorConfig(store: Store, config: Config): Promise<void> {
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
      extras: extras as Record<string, unknown>,
    })),
  );
}
