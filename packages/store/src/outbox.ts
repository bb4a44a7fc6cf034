/**
 * The outbox: mail queued for sending, claimed by one deliverer at a time, and what became of it.
 *
 * The state of a message lives in `outbox`, its raw source in `outbox_raw`, so the frequent state
 * changes never rewrite the message. A message is `queued` (due at `next_attempt_at`), `sending` (claimed by the deliverer holding
 * `claim_token`, until `next_attempt_at`, after which it is due again), `sent` or `failed`. Claiming
 * is one `UPDATE … RETURNING` inside a write transaction, so two deliverers, in one process or in
 * several, never hold the same message. Every transition out of `sending` except "sent" names the
 * claim it ends, so a deliverer whose claim expired cannot overwrite the next one's outcome.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, sql } from "drizzle-orm";
import { pageLimit } from "./paging.ts";
import { mailboxes, outbox, outboxRaw } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { inWriteTransaction, writeTransaction } from "./write-lock.ts";

/** One outbox row: the message's state, without its raw source. */
export type OutboxEntry = typeof outbox.$inferSelect;
/** An outbox row with its raw source. */
export type OutboxMessage = OutboxEntry & { raw: Uint8Array };
/** Where an outbox message stands. */
export type OutboxStatus = OutboxEntry["status"];

/** What {@link insertOutboxMessage} stores. */
export interface OutboxInsert {
  /** The id to give the row (a UUIDv7 from `newId()`). */
  id: string;
  mailboxId: string;
  /** The Message-ID header value, angle brackets included; unique per mailbox. */
  messageId: string;
  raw: Uint8Array;
  envelope: { from: string; to: string[] };
  /** When it was queued, and first due (default now). */
  at?: Date;
}

/**
 * Queues a message. Idempotent by (mailbox, Message-ID): queuing the same Message-ID again returns
 * the stored row unchanged, so a client that retries its request never sends twice.
 *
 * @param target the open store, or a transaction to join
 * @param input the message
 * @returns the stored row and whether it was new
 * @throws {MailregError} NOT_FOUND when the mailbox does not exist
 */
export async function insertOutboxMessage(
  target: Store | StoreTx,
  input: OutboxInsert,
): Promise<{ message: OutboxEntry; created: boolean }> {
  const at = (input.at ?? new Date()).toISOString();
  return await inWriteTransaction(target, async (tx) => {
    const existing = await tx
      .select()
      .from(outbox)
      .where(and(eq(outbox.mailboxId, input.mailboxId), eq(outbox.messageId, input.messageId)))
      .get();
    if (existing !== undefined) return { message: existing, created: false };
    const mailbox = await tx
      .select({ id: mailboxes.id })
      .from(mailboxes)
      .where(eq(mailboxes.id, input.mailboxId))
      .get();
    if (mailbox === undefined) {
      throw new MailregError("NOT_FOUND", `Mailbox ${input.mailboxId} does not exist`, {
        details: { mailboxId: input.mailboxId },
      });
    }
    const message = await tx
      .insert(outbox)
      .values({
        id: input.id,
        mailboxId: input.mailboxId,
        messageId: input.messageId,
        size: input.raw.byteLength,
        envelope: input.envelope,
        status: "queued",
        nextAttemptAt: at,
        createdAt: at,
      })
      .returning()
      .get();
    await tx.insert(outboxRaw).values({ outboxId: input.id, raw: input.raw }).run();
    return { message, created: true };
  });
}

/**
 * One outbox message by id, raw source included.
 *
 * @param store the open store
 * @param id the row id
 * @returns the row
 * @throws {MailregError} NOT_FOUND
 */
export async function getOutboxMessage(store: Store, id: string): Promise<OutboxMessage> {
  const row = await store.db
    .select()
    .from(outbox)
    .innerJoin(outboxRaw, eq(outboxRaw.outboxId, outbox.id))
    .where(eq(outbox.id, id))
    .get();
  if (row === undefined) {
    throw new MailregError("NOT_FOUND", `Outbox message ${id} does not exist`, { details: { id } });
  }
  return { ...row.outbox, raw: row.outbox_raw.raw };
}

/**
 * The raw sources of outbox messages.
 *
 * @param store the open store
 * @param ids the row ids
 * @returns raw source by row id (ids that do not exist are missing)
 */
export async function readOutboxRaw(store: Store, ids: readonly string[]): Promise<Map<string, Uint8Array>> {
  if (ids.length === 0) return new Map();
  const rows = await store.db
    .select()
    .from(outboxRaw)
    .where(inArray(outboxRaw.outboxId, [...ids]))
    .all();
  return new Map(rows.map((r) => [r.outboxId, r.raw]));
}

/**
 * Outbox messages without their raw source, oldest first.
 *
 * @param store the open store
 * @param options status and mailbox filters, `sentCopyFailed` (sent, but the copy to the Sent folder
 *   failed: what the admin shows as a warning), page size (default 100, at most 1000), cursor (last id seen)
 * @returns up to `limit` rows
 */
export async function listOutbox(
  store: Store,
  options: {
    status?: OutboxStatus;
    mailboxId?: string;
    sentCopyFailed?: boolean;
    limit?: number;
    after?: string;
  } = {},
): Promise<OutboxEntry[]> {
  return await store.db
    .select()
    .from(outbox)
    .where(
      and(
        options.status === undefined ? undefined : eq(outbox.status, options.status),
        options.mailboxId === undefined ? undefined : eq(outbox.mailboxId, options.mailboxId),
        options.sentCopyFailed === true
          ? and(eq(outbox.status, "sent"), isNull(outbox.sentFolder), isNotNull(outbox.errorCode))
          : undefined,
        options.after === undefined ? undefined : gt(outbox.id, options.after),
      ),
    )
    .orderBy(asc(outbox.id))
    .limit(pageLimit(options.limit, 100, 1000))
    .all();
}

/**
 * How many outbox messages are in each status.
 *
 * @param store the open store
 * @returns the counts (0 for statuses without messages)
 */
export async function countOutbox(store: Store): Promise<Record<OutboxStatus, number>> {
  const rows = await store.db
    .select({ status: outbox.status, n: sql<number>`count(*)` })
    .from(outbox)
    .groupBy(outbox.status)
    .all();
  const counts: Record<OutboxStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/** What {@link claimDueOutbox} needs. */
export interface OutboxClaim {
  /** A token naming this claim (unique per deliverer run). */
  token: string;
  /** The time messages must be due by. */
  now: Date;
  /** How long the claim lasts; after it a message still `sending` is due again. */
  leaseMs: number;
  /** At most this many messages. */
  limit: number;
}

/**
 * Claims up to `limit` due messages, oldest due first: queued ones whose time has come and
 * `sending` ones whose claim expired (their deliverer crashed). Each claim counts as an attempt.
 *
 * @param store the open store
 * @param claim token, time, lease and limit
 * @returns the claimed rows, oldest first (read their sources with {@link readOutboxRaw})
 */
export async function claimDueOutbox(store: Store, claim: OutboxClaim): Promise<OutboxEntry[]> {
  const now = claim.now.toISOString();
  const until = new Date(claim.now.getTime() + claim.leaseMs).toISOString();
  const rows = await writeTransaction(store, async (tx) => {
    const due = tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(inArray(outbox.status, ["queued", "sending"]), lte(outbox.nextAttemptAt, now)))
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(claim.limit);
    return await tx
      .update(outbox)
      .set({
        status: "sending",
        claimToken: claim.token,
        nextAttemptAt: until,
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(inArray(outbox.id, due))
      .returning()
      .all();
  });
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What {@link markOutboxSent} records for one message. */
export interface OutboxSent {
  id: string;
  at: Date;
  /** The server's answer (the 250 with its queue id). */
  response: string;
  /** A note for the administrator, e.g. recipients the server refused while accepting the others. */
  note?: string;
}

/**
 * Marks messages sent, whoever holds their claims: the server has them, so no deliverer may send
 * them again. One transaction for all (deliverers group the answers that arrive while the previous
 * transaction commits). The messages (and their raw sources) stay in the outbox.
 *
 * @param store the open store
 * @param sent the rows, with the time and the server's answer
 * @returns how many were newly marked (a row already sent is left alone)
 */
export async function markOutboxSent(store: Store, sent: readonly OutboxSent[]): Promise<number> {
  if (sent.length === 0) return 0;
  const rows = JSON.stringify(
    sent.map((s) => ({ id: s.id, at: s.at.toISOString(), response: s.response, note: s.note })),
  );
  // one statement for the whole group: per-statement work, not the commit, is what costs here
  const result = await writeTransaction(store, (tx) =>
    tx.run(sql`
      update outbox set
        status = 'sent',
        sent_at = json_extract(j.value, '$.at'),
        response = json_extract(j.value, '$.response'),
        last_error = json_extract(j.value, '$.note'),
        error_code = null,
        claim_token = null,
        next_attempt_at = null
      from json_each(${rows}) as j
      where outbox.id = json_extract(j.value, '$.id') and outbox.status <> 'sent'`),
  );
  return result.rowsAffected;
}

/** Why an attempt did not send the message. */
export interface OutboxFailure {
  id: string;
  /** The claim the attempt held. */
  token: string;
  /** A message for the administrator (never a secret). */
  error: string;
  /** The MailregError code. */
  errorCode: string;
  /** The server's answer, when it gave one. */
  response?: string;
}

/**
 * Ends a claim with a temporary failure: the message is queued again, due at `nextAttemptAt`.
 *
 * @param store the open store
 * @param failure the row, the claim, the error, and when to try again
 * @returns false when the claim was no longer held (it expired and another deliverer took it)
 */
export async function retryOutboxLater(
  store: Store,
  failure: OutboxFailure & { nextAttemptAt: Date },
): Promise<boolean> {
  return await _endClaim(store, failure, {
    status: "queued",
    nextAttemptAt: failure.nextAttemptAt.toISOString(),
  });
}

/**
 * Ends a claim with a permanent failure: the message is not tried again (unless requeued).
 *
 * @param store the open store
 * @param failure the row, the claim and the error
 * @returns false when the claim was no longer held
 */
export async function failOutboxMessage(store: Store, failure: OutboxFailure): Promise<boolean> {
  return await _endClaim(store, failure, { status: "failed", nextAttemptAt: null });
}

/**
 * Puts a failed message back in the queue, due now (the administrator's "try again").
 *
 * @param store the open store
 * @param id the row id
 * @param at when it is due (default now)
 * @returns the row
 * @throws {MailregError} NOT_FOUND; CONFLICT when it is not failed
 */
export async function requeueOutboxMessage(store: Store, id: string, at = new Date()): Promise<OutboxEntry> {
  const row = await writeTransaction(store, (tx) =>
    tx
      .update(outbox)
      .set({ status: "queued", nextAttemptAt: at.toISOString(), attempts: 0 })
      .where(and(eq(outbox.id, id), eq(outbox.status, "failed")))
      .returning()
      .get(),
  );
  if (row !== undefined) return row;
  const current = await getOutboxMessage(store, id);
  throw new MailregError("CONFLICT", `Outbox message ${id} is ${current.status}, not failed`, {
    details: { id, status: current.status },
  });
}

/**
 * Records where the copy of a sent message went: the IMAP folder, or null with the reason it is
 * kept only here.
 *
 * @param store the open store
 * @param id the row id
 * @param copy the folder, or the error that prevented the copy
 */
export async function recordSentCopy(
  store: Store,
  id: string,
  copy: { folder: string } | { error: string; errorCode: string },
): Promise<void> {
  await writeTransaction(store, (tx) =>
    tx
      .update(outbox)
      .set(
        "folder" in copy
          ? {
              sentFolder: copy.folder,
              // a copy that failed before and worked now: its error goes (a note of the send stays)
              lastError: sql`CASE WHEN ${outbox.errorCode} IS NULL THEN ${outbox.lastError} ELSE NULL END`,
              errorCode: null,
            }
          : { sentFolder: null, lastError: copy.error, errorCode: copy.errorCode },
      )
      .where(eq(outbox.id, id))
      .run(),
  );
}

async function _endClaim(
  store: Store,
  failure: OutboxFailure,
  next: { status: "queued" | "failed"; nextAttemptAt: string | null },
): Promise<boolean> {
  const rows = await writeTransaction(store, (tx) =>
    tx
      .update(outbox)
      .set({
        ...next,
        claimToken: null,
        lastError: failure.error,
        errorCode: failure.errorCode,
        response: failure.response ?? null,
      })
      .where(
        and(eq(outbox.id, failure.id), eq(outbox.status, "sending"), eq(outbox.claimToken, failure.token)),
      )
      .returning({ id: outbox.id })
      .all(),
  );
  return rows.length === 1;
}
