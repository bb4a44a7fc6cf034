/**
 * Every sealed secret in the store, for key rotation: list them, then replace each re-sealed value.
 *
 * Binding: a registration's sealed profile is bound to its own id; a mailbox's is bound to the
 * registration it was copied from (`mailboxes.registration_id`). {@link iterateSealed} yields that
 * binding id with each value, so a re-seal keeps the binding.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { and, eq, gt } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { mailboxes, registrations } from "./schema.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** The tables that hold sealed values. */
export type SealedTable = "registrations" | "mailboxes";

/** One sealed value and what it is bound to. */
export interface SealedEntry {
  table: SealedTable;
  /** The row's id (registration id or mailbox id). */
  id: string;
  keyId: string;
  sealed: string;
  /** The id the sealed profile is bound to: the registration's id (for a mailbox, its `registrationId`). */
  bindingId: string;
  /** The address the sealed profile is bound to. */
  address: string;
}

const _TABLES = { registrations, mailboxes } as const;

/**
 * Every sealed value: registrations in id order, then mailboxes in id order, `batchSize` rows per read.
 *
 * @param store the open store
 * @param options rows per read (default 500)
 * @returns an async iterator of entries
 * @example
 * ```ts
 * import { iterateSealed, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * for await (const entry of iterateSealed(store)) console.log(entry.table, entry.id, entry.keyId);
 * store.close();
 * ```
 */
export async function* iterateSealed(
  store: Store,
  options: { batchSize?: number } = {},
): AsyncGenerator<SealedEntry, void, undefined> {
  const batchSize = pageLimit(options.batchSize, 500, 10_000);
  for (const table of ["registrations", "mailboxes"] as const) {
    const t = _TABLES[table];
    const binding = table === "registrations" ? registrations.id : mailboxes.registrationId;
    let after: string | undefined;
    for (;;) {
      const rows = await store.db
        .select({ id: t.id, keyId: t.keyId, sealed: t.sealed, bindingId: binding, address: t.address })
        .from(t)
        .where(after === undefined ? undefined : gt(t.id, after))
        .orderBy(t.id)
        .limit(batchSize)
        .all();
      for (const row of rows) yield { table, ...row };
      if (rows.length < batchSize) break;
      after = rows[rows.length - 1]?.id;
    }
  }
}

/**
 * Replaces one sealed value (a re-seal under a new key) if it is still `previous`: a value changed in
 * the meantime (say, a mailbox's credentials updated by a new registration) is left alone.
 *
 * @param store the open store
 * @param table where the value is
 * @param id the row's id
 * @param next the new key id and sealed value, and the sealed value it replaces
 * @returns true when replaced, false when the stored value was no longer `previous`
 * @throws {MailregError} NOT_FOUND when there is no such row
 */
export async function replaceSealed(
  store: Store,
  table: SealedTable,
  id: string,
  next: { keyId: string; sealed: string; previous: string },
): Promise<boolean> {
  const t = _TABLES[table];
  return await writeTransaction(store, async (tx) => {
    const set =
      table === "mailboxes"
        ? { keyId: next.keyId, sealed: next.sealed, updatedAt: new Date().toISOString() }
        : { keyId: next.keyId, sealed: next.sealed };
    const result = await tx
      .update(t)
      .set(set)
      .where(and(eq(t.id, id), eq(t.sealed, next.previous)))
      .run();
    if (result.rowsAffected === 1) return true;
    const exists = await tx.select({ id: t.id }).from(t).where(eq(t.id, id)).get();
    if (exists === undefined) {
      throw new MailregError("NOT_FOUND", `No ${table} row ${id} holds a sealed value`, {
        details: { table, id },
      });
    }
    return false;
  });
}
