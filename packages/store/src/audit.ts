/**
 * The audit log: who did what to which subject, and when. Details never hold a secret.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { and, eq, gt } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { auditLog } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { inWriteTransaction } from "./write-lock.ts";

/** One audit entry as stored. */
export type AuditEntry = typeof auditLog.$inferSelect;

/** What {@link appendAudit} records. */
export interface AuditInput {
  /** Who (an admin user name, `cli`, `worker:<id>` …). */
  actor: string;
  /** What, as `area.verb` (`registration.apply`, `registration-window.replace` …). */
  action: string;
  /** The kind of subject (`registration`, `mailbox`, `registration-window` …). */
  subjectType: string;
  /** The subject's id, if it has one. */
  subjectId?: string;
  /** Machine-readable detail; keys that name a secret (password, token, sealed …) are refused. */
  details?: Record<string, unknown>;
  /** When (default now). */
  at?: Date;
}

/** Keys that must never appear in audit details, at any depth. */
const _SECRET_KEY =
  /^(password|passphrase|secret|clientsecret|token|accesstoken|refreshtoken|privatekey|sealed|authorization)$/i;

/**
 * Appends an entry, on its own or as one step of the caller's transaction.
 *
 * @param target the open store, or a transaction to join
 * @param entry who, what, which subject, details
 * @returns the stored entry with its id
 * @throws {MailregError} VALIDATION when the details name a secret
 * @example
 * ```ts
 * import { appendAudit, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await appendAudit(store, { actor: "admin", action: "mailbox.check", subjectType: "mailbox", subjectId: "m1" });
 * store.close();
 * ```
 */
export async function appendAudit(target: Store | StoreTx, entry: AuditInput): Promise<AuditEntry> {
  const details = entry.details ?? {};
  const secret = _secretKey(details);
  if (secret !== undefined) {
    throw new MailregError("VALIDATION", `Audit details must not hold a secret (key "${secret}")`, {
      details: { key: secret },
    });
  }
  const row = {
    at: (entry.at ?? new Date()).toISOString(),
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId ?? null,
    details,
  };
  return await inWriteTransaction(target, (tx) => tx.insert(auditLog).values(row).returning().get());
}

/**
 * Audit entries in the order they were written, oldest first.
 *
 * @param store the open store
 * @param options page size (default 100, at most 1000), subject filter, and cursor (the last id seen)
 * @returns up to `limit` entries
 */
export async function listAudit(
  store: Store,
  options: { limit?: number; subjectId?: string; after?: number } = {},
): Promise<AuditEntry[]> {
  const limit = pageLimit(options.limit, 100, 1000);
  return await store.db
    .select()
    .from(auditLog)
    .where(
      and(
        options.subjectId === undefined ? undefined : eq(auditLog.subjectId, options.subjectId),
        options.after === undefined ? undefined : gt(auditLog.id, options.after),
      ),
    )
    .orderBy(auditLog.id)
    .limit(limit)
    .all();
}

function _secretKey(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (_SECRET_KEY.test(key)) return key;
    const found = _secretKey(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}
