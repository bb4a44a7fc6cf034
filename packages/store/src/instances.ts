/**
 * Instances and server templates, mirrored from the config (the config is the source of truth; the
 * app upserts them at start). Entries no longer in the config stay in the store.
 *
 * @module
 */
import type { Protocol, Security } from "@mailreg/core";
import { sql } from "drizzle-orm";
import { instances, serverTemplates } from "./schema.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** An instance as stored. */
export type Instance = typeof instances.$inferSelect;
/** A server template as stored. */
export type ServerTemplate = typeof serverTemplates.$inferSelect;

/** An instance as the config describes it. */
export interface InstanceInput {
  id: string;
  label: string;
  /** The instance's settings (folder policy, schedule, SMTP …), kept as JSON. */
  settings?: Record<string, unknown>;
}

/** A server template as the config describes it. */
export interface ServerTemplateInput {
  id: string;
  label: string;
  protocol: Protocol;
  host: string;
  port: number;
  security: Security;
  /** The rest of the template (auth methods, certificate policy, SMTP counterpart), kept as JSON. */
  extras?: Record<string, unknown>;
}

/**
 * Inserts or updates instances by id, in one transaction.
 *
 * @param store the open store
 * @param list the instances from the config
 * @param now when (default now)
 * @example
 * ```ts
 * import { listInstances, openStore, upsertInstances } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await upsertInstances(store, [{ id: "sales", label: "Sales" }]);
 * console.log((await listInstances(store)).map((i) => i.id)); // ["sales"]
 * store.close();
 * ```
 */
export async function upsertInstances(
  store: Store,
  list: readonly InstanceInput[],
  now: Date = new Date(),
): Promise<void> {
  if (list.length === 0) return;
  const updatedAt = now.toISOString();
  const rows = list.map((i) => ({ id: i.id, label: i.label, settings: i.settings ?? {}, updatedAt }));
  await writeTransaction(store, (tx) =>
    tx
      .insert(instances)
      .values(rows)
      .onConflictDoUpdate({
        target: instances.id,
        set: { label: sql`excluded.label`, settings: sql`excluded.settings`, updatedAt },
      })
      .run(),
  );
}

/**
 * Every instance, by id.
 *
 * @param store the open store
 * @returns the instances
 */
export async function listInstances(store: Store): Promise<Instance[]> {
  return await store.db.select().from(instances).orderBy(instances.id).all();
}

/**
 * Inserts or updates server templates by id, in one transaction.
 *
 * @param store the open store
 * @param list the templates from the config
 * @param now when (default now)
 */
export async function upsertServerTemplates(
  store: Store,
  list: readonly ServerTemplateInput[],
  now: Date = new Date(),
): Promise<void> {
  if (list.length === 0) return;
  const updatedAt = now.toISOString();
  const rows = list.map((t) => ({
    id: t.id,
    label: t.label,
    protocol: t.protocol,
    host: t.host,
    port: t.port,
    security: t.security,
    extras: t.extras ?? {},
    updatedAt,
  }));
  await writeTransaction(store, (tx) =>
    tx
      .insert(serverTemplates)
      .values(rows)
      .onConflictDoUpdate({
        target: serverTemplates.id,
        set: {
          label: sql`excluded.label`,
          protocol: sql`excluded.protocol`,
          host: sql`excluded.host`,
          port: sql`excluded.port`,
          security: sql`excluded.security`,
          extras: sql`excluded.extras`,
          updatedAt,
        },
      })
      .run(),
  );
}

/**
 * Every server template, by id.
 *
 * @param store the open store
 * @returns the templates
 */
export async function listServerTemplates(store: Store): Promise<ServerTemplate[]> {
  return await store.db.select().from(serverTemplates).orderBy(serverTemplates.id).all();
}
