/**
 * Registrations: insert, read, list, stream out and import in bulk.
 *
 * The store keeps every field of a {@link RegistrationRecord} and gives the same record back, so an
 * export reproduces what was imported.
 *
 * @module
 */
import {
  MailregError,
  type RegistrationRecord,
  RegistrationRecordSchema,
  type RegistrationStatus,
} from "@mailreg/core";
import { and, count, eq, getTableColumns, gt, type SQL } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { registrations } from "./schema.ts";
import type { Store } from "./store.ts";
import { isUniqueViolation, toStoreError } from "./store-error.ts";
import { runExclusive, writeTransaction } from "./write-lock.ts";

type _Row = typeof registrations.$inferSelect;
type _Insert = typeof registrations.$inferInsert;

/** Rows per INSERT at most: SQLite allows 32,766 bound values and a registration has 18 columns. */
export const MAX_IMPORT_BATCH = 1800;

/** Filter and cursor of {@link listRegistrations}. */
export interface ListRegistrationsOptions {
  /** Only registrations with this status. */
  status?: RegistrationStatus;
  /** At most this many (1 to 1000, default 100). */
  limit?: number;
  /** Only ids after this one (the last id of the previous page). */
  after?: string;
}

/** Options of {@link importRegistrations}. */
export interface ImportRegistrationsOptions {
  /** Records per transaction and per INSERT (1 to {@link MAX_IMPORT_BATCH}, default 500). */
  batchSize?: number;
  /** Called after each committed batch with the totals so far. */
  onProgress?: (progress: ImportProgress) => void;
}

/** Totals of an import. `skipped` counts records whose id the store already had. */
export interface ImportProgress {
  inserted: number;
  skipped: number;
}

/**
 * Validates `record` and stores it.
 *
 * @param store the open store
 * @param record a registration (validated with `RegistrationRecordSchema`)
 * @returns the stored record
 * @throws {MailregError} VALIDATION for an invalid record, CONFLICT when the id exists
 * @example
 * ```ts
 * import { insertRegistration, openStore } from "@mailreg/store";
 * import { makeRegistration } from "@mailreg/store/testing";
 * const store = await openStore({ url: "file::memory:" });
 * await insertRegistration(store, makeRegistration({ address: "ann@example.com" }));
 * store.close();
 * ```
 */
export async function insertRegistration(
  store: Store,
  record: RegistrationRecord,
): Promise<RegistrationRecord> {
  const valid = _validate(record, undefined);
  try {
    await writeTransaction(store, (tx) => tx.insert(registrations).values(_toRow(valid)).run());
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new MailregError("CONFLICT", `Registration ${valid.id} already exists`, {
        details: { id: valid.id },
      });
    }
    throw error;
  }
  return valid;
}

/**
 * One registration by id.
 *
 * @param store the open store
 * @param id the registration's id
 * @returns the record
 * @throws {MailregError} NOT_FOUND
 */
export async function getRegistration(store: Store, id: string): Promise<RegistrationRecord> {
  const row = await store.db.select().from(registrations).where(eq(registrations.id, id)).get();
  if (row === undefined) {
    throw new MailregError("NOT_FOUND", `Registration ${id} does not exist`, { details: { id } });
  }
  return registrationFromRow(row);
}

/**
 * One page of registrations in id (= arrival) order.
 *
 * @param store the open store
 * @param options status filter, page size and cursor
 * @returns up to `limit` records; pass the last one's id as `after` for the next page
 */
export async function listRegistrations(
  store: Store,
  options: ListRegistrationsOptions = {},
): Promise<RegistrationRecord[]> {
  const limit = pageLimit(options.limit, 100, 1000);
  const rows = await store.db
    .select()
    .from(registrations)
    .where(_where(options.status, options.after))
    .orderBy(registrations.id)
    .limit(limit)
    .all();
  return rows.map(registrationFromRow);
}

/**
 * Every registration (with `status`, only those) in id order, read `batchSize` at a time, so an
 * export of any size runs in constant memory.
 *
 * @param store the open store
 * @param options status filter and rows per read (default 500)
 * @returns an async iterator of records
 * @example
 * ```ts
 * import { iterateRegistrations, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * for await (const record of iterateRegistrations(store, { status: "pending" })) {
 *   console.log(JSON.stringify(record));
 * }
 * store.close();
 * ```
 */
export async function* iterateRegistrations(
  store: Store,
  options: { status?: RegistrationStatus; batchSize?: number } = {},
): AsyncGenerator<RegistrationRecord, void, undefined> {
  const batchSize = pageLimit(options.batchSize, 500, 10_000);
  let after: string | undefined;
  for (;;) {
    const rows = await store.db
      .select()
      .from(registrations)
      .where(_where(options.status, after))
      .orderBy(registrations.id)
      .limit(batchSize)
      .all();
    for (const row of rows) yield registrationFromRow(row);
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]?.id;
  }
}

/**
 * Imports registrations in batches: each batch is one multi-row INSERT in its own transaction, and a
 * record whose id the store already has is skipped (the stored one wins). Importing the same records
 * again therefore changes nothing. Records are validated as they arrive; an invalid one stops the
 * import with the batches before it committed (run it again once fixed: they are skipped then).
 *
 * @param store the open store
 * @param records the records, e.g. parsed lines of a registration file
 * @param options batch size and progress callback
 * @returns how many were inserted and how many skipped
 * @throws {MailregError} VALIDATION for an invalid record (details: `index`, `fields`) or batch size
 * @example
 * ```ts
 * import { importRegistrations, openStore } from "@mailreg/store";
 * import { makeRegistration } from "@mailreg/store/testing";
 * const store = await openStore({ url: "file::memory:" });
 * const records = [makeRegistration(), makeRegistration()];
 * console.log(await importRegistrations(store, records)); // { inserted: 2, skipped: 0 }
 * console.log(await importRegistrations(store, records)); // { inserted: 0, skipped: 2 }
 * store.close();
 * ```
 */
export async function importRegistrations(
  store: Store,
  records: AsyncIterable<RegistrationRecord> | Iterable<RegistrationRecord>,
  options: ImportRegistrationsOptions = {},
): Promise<ImportProgress> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_IMPORT_BATCH) {
    throw new MailregError("VALIDATION", `The batch size must be an integer from 1 to ${MAX_IMPORT_BATCH}`, {
      details: { batchSize },
    });
  }
  const totals: ImportProgress = { inserted: 0, skipped: 0 };
  let batch: _Insert[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    const inserted = await _insertIgnoringKnownIds(store, rows);
    totals.inserted += inserted;
    totals.skipped += rows.length - inserted;
    options.onProgress?.({ ...totals });
  };
  let index = 0;
  for await (const record of records) {
    batch.push(_toRow(_validate(record, index++)));
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  return totals;
}

/**
 * How many registrations there are (with `status`, how many with that status).
 *
 * @param store the open store
 * @param options status filter
 * @returns the count
 */
export async function countRegistrations(
  store: Store,
  options: { status?: RegistrationStatus } = {},
): Promise<number> {
  const row = await store.db
    .select({ n: count() })
    .from(registrations)
    .where(_where(options.status, undefined))
    .get();
  return row?.n ?? 0;
}

/**
 * The record a registrations row holds (optional fields left out when null).
 *
 * @param row a row of the registrations table
 * @returns the record
 */
export function registrationFromRow(row: _Row): RegistrationRecord {
  const record: RegistrationRecord = {
    id: row.id,
    receivedAt: row.receivedAt,
    address: row.address,
    protocol: row.protocol,
    host: row.host,
    port: row.port,
    security: row.security,
    login: row.login,
    authMethod: row.authMethod,
    status: row.status,
    keyId: row.keyId,
    sealed: row.sealed,
  };
  if (row.displayName !== null) record.displayName = row.displayName;
  if (row.template !== null) record.template = row.template;
  if (row.decidedBy !== null && row.decidedAt !== null) {
    record.decision = { by: row.decidedBy, at: row.decidedAt };
    if (row.decidedInstance !== null) record.decision.instance = row.decidedInstance;
    if (row.reason !== null) record.decision.reason = row.reason;
  }
  return record;
}

/** The registrations columns: property names and SQL names, in schema order. */
const _COLUMNS = Object.entries(getTableColumns(registrations)).map(([key, column]) => ({
  key: key as keyof _Insert,
  name: column.name,
}));

/**
 * One multi-row `INSERT … ON CONFLICT(id) DO NOTHING` as one batch (its own transaction, no await
 * inside). The SQL is built here rather than by drizzle's query builder, which costs about three
 * times the insert itself at 500 rows; every registrations column is text or integer, so the values
 * go to the driver unchanged.
 */
async function _insertIgnoringKnownIds(store: Store, rows: readonly _Insert[]): Promise<number> {
  const placeholders = `(${_COLUMNS.map(() => "?").join(", ")})`;
  const sql =
    `INSERT INTO "registrations" (${_COLUMNS.map((c) => `"${c.name}"`).join(", ")}) ` +
    `VALUES ${rows.map(() => placeholders).join(", ")} ON CONFLICT ("id") DO NOTHING`;
  const args = rows.flatMap((row) => _COLUMNS.map((c) => row[c.key] ?? null));
  try {
    const [result] = await runExclusive(store, () => store.client.batch([{ sql, args }], "write"));
    return result?.rowsAffected ?? 0;
  } catch (error) {
    throw toStoreError(error);
  }
}

function _toRow(record: RegistrationRecord): _Insert {
  return {
    id: record.id,
    receivedAt: record.receivedAt,
    address: record.address,
    displayName: record.displayName ?? null,
    protocol: record.protocol,
    template: record.template ?? null,
    host: record.host,
    port: record.port,
    security: record.security,
    login: record.login,
    authMethod: record.authMethod,
    status: record.status,
    decidedBy: record.decision?.by ?? null,
    decidedAt: record.decision?.at ?? null,
    decidedInstance: record.decision?.instance ?? null,
    reason: record.decision?.reason ?? null,
    keyId: record.keyId,
    sealed: record.sealed,
  };
}

function _validate(record: unknown, index: number | undefined): RegistrationRecord {
  const parsed = RegistrationRecordSchema.safeParse(record);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(record)"))];
  const where = index === undefined ? "The registration" : `Registration number ${index + 1}`;
  throw new MailregError("VALIDATION", `${where} is not valid (${fields.join(", ")})`, {
    details: index === undefined ? { fields } : { index, fields },
  });
}

function _where(status: RegistrationStatus | undefined, after: string | undefined): SQL | undefined {
  return and(
    status === undefined ? undefined : eq(registrations.status, status),
    after === undefined ? undefined : gt(registrations.id, after),
  );
}
