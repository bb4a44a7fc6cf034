/**
 * The store as the ports of `@mailreg/smtp-resolver`: its `outbox` tables as the outbox queue, its
 * `mailboxes` table as the mailbox directory. The store does not import smtp-resolver: these objects
 * have the ports' shape (matched structurally), and the programs that hand them to smtp-resolver
 * (the worker, the CLI, the registration app) assign them to the ports' types, so the compiler
 * reports any drift between the two.
 *
 * @module
 */
import { addressKey, normalizeAddress } from "@mailreg/core";
import { and, asc, eq } from "drizzle-orm";
import { addressMatch, caseSensitiveSettings } from "./address-keys.ts";
import { getMailbox, type Mailbox } from "./mailboxes.ts";
import {
  claimDueOutbox,
  failOutboxMessage,
  insertOutboxMessage,
  markOutboxSent,
  type OutboxClaim,
  type OutboxEntry,
  type OutboxFailure,
  type OutboxInsert,
  type OutboxSent,
  readOutboxRaw,
  recordSentCopy,
  retryOutboxLater,
} from "./outbox.ts";
import { instances, mailboxes } from "./schema.ts";
import type { Store } from "./store.ts";

/** The `outbox` and `outbox_raw` tables as smtp-resolver's `OutboxQueue`. */
export interface StoreOutboxQueue {
  insert(input: OutboxInsert): Promise<{ message: OutboxEntry; created: boolean }>;
  claimDue(claim: OutboxClaim): Promise<OutboxEntry[]>;
  readRaw(ids: readonly string[]): Promise<Map<string, Uint8Array>>;
  markSent(sent: readonly OutboxSent[]): Promise<number>;
  retryLater(failure: OutboxFailure & { nextAttemptAt: Date }): Promise<boolean>;
  fail(failure: OutboxFailure): Promise<boolean>;
  recordSentCopy(id: string, copy: { folder: string } | { error: string; errorCode: string }): Promise<void>;
}

/** The `mailboxes` table as smtp-resolver's `MailboxDirectory`. */
export interface StoreMailboxDirectory {
  /** The mailbox with this id; MailregError NOT_FOUND when there is none. */
  get(id: string): Promise<Mailbox>;
  /** The mailboxes of a normalised address, by instance; only the one of `instanceId` when given. */
  findByAddress(address: string, options?: { instanceId?: string }): Promise<Mailbox[]>;
}

/** The store as smtp-resolver's `Outbox`: the queue and the mailboxes it sends for. */
export interface StoreOutbox {
  queue: StoreOutboxQueue;
  mailboxes: StoreMailboxDirectory;
}

/**
 * The outbox tables as an outbox queue: claims in one `UPDATE … RETURNING` inside a write
 * transaction, so deliverers in several processes never hold the same message.
 *
 * @param store the open store
 * @returns the queue
 */
export function storeOutboxQueue(store: Store): StoreOutboxQueue {
  return {
    insert: (input) => insertOutboxMessage(store, input),
    claimDue: (claim) => claimDueOutbox(store, claim),
    readRaw: (ids) => readOutboxRaw(store, ids),
    markSent: (sent) => markOutboxSent(store, sent),
    retryLater: (failure) => retryOutboxLater(store, failure),
    fail: (failure) => failOutboxMessage(store, failure),
    recordSentCopy: (id, copy) => recordSentCopy(store, id, copy),
  };
}

/**
 * The mailboxes table as a mailbox directory.
 *
 * @param store the open store
 * @returns the directory
 */
export function storeMailboxDirectory(store: Store): StoreMailboxDirectory {
  return {
    get: (id) => getMailbox(store, id),
    // by address key: `Ann@` finds `ann@` except in instances that compare case-sensitively
    findByAddress: async (address, options = {}) => {
      let normalized: string;
      try {
        normalized = normalizeAddress(address);
      } catch {
        return [];
      }
      const keys = [addressKey(normalized), addressKey(normalized, { caseSensitive: true })];
      const rows = await store.db
        .select({ mailbox: mailboxes, settings: instances.settings })
        .from(mailboxes)
        .innerJoin(instances, eq(instances.id, mailboxes.instanceId))
        .where(
          and(
            addressMatch(keys, normalized),
            options.instanceId === undefined ? undefined : eq(mailboxes.instanceId, options.instanceId),
          ),
        )
        .orderBy(asc(mailboxes.instanceId), asc(mailboxes.createdAt))
        .all();
      return rows
        .filter(
          ({ mailbox, settings }) =>
            mailbox.addressKey === null ||
            mailbox.addressKey === addressKey(normalized, { caseSensitive: caseSensitiveSettings(settings) }),
        )
        .map(({ mailbox }) => mailbox);
    },
  };
}

/**
 * The store as a durable outbox for smtp-resolver's `enqueue`, `deliverDue` and `drainOutbox`.
 *
 * @param store the open store
 * @returns the queue and the mailbox directory
 * @example
 * ```ts ignore
 * import type { Outbox } from "@mailreg/smtp-resolver";
 * const outbox: Outbox = storeOutbox(store); // the assignment checks the shape
 * await enqueue(outbox, { mailboxId, message: { to: "bob@example.org", text: "Hi" } });
 * ```
 */
export function storeOutbox(store: Store): StoreOutbox {
  return { queue: storeOutboxQueue(store), mailboxes: storeMailboxDirectory(store) };
}
