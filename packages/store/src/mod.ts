/**
 * @mailreg/store: the database of mailreg. A drizzle-orm schema over libSQL (`file:` URLs embedded,
 * `libsql://`/`http(s)://`/`ws(s)://` for a libSQL server), its SQL migrations (applied at open), and
 * plain query functions taking the open {@link Store}.
 *
 * @example
 * ```ts
 * import { countRegistrations, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * console.log(await countRegistrations(store, { status: "pending" }));
 * store.close();
 * ```
 *
 * @module
 */
export * from "./admin-queries.ts";
export * from "./audit.ts";
export * from "./config-mirror.ts";
export * from "./decisions.ts";
export * from "./instances.ts";
export * from "./mail-sync.ts";
export * from "./mailboxes.ts";
export * from "./message-index.ts";
export * from "./message-routing.ts";
export * from "./messages-read.ts";
export { MIGRATIONS_FOLDER, migrate } from "./migrate.ts";
export * from "./oauth-grants.ts";
export * from "./outbox.ts";
export * from "./registrations.ts";
export * from "./reroute-requests.ts";
export * from "./retention.ts";
export * as schema from "./schema.ts";
export * from "./sealed.ts";
export * from "./setting-once.ts";
export * from "./settings.ts";
export * from "./store.ts";
export * from "./windows.ts";
export * from "./worker-state.ts";
export { writeTransaction } from "./write-lock.ts";
