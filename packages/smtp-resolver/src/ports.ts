/**
 * The ports of sending: the few interfaces this package needs from whoever keeps mailboxes and
 * queued mail. It imports no database: `@mailreg/store` fills them over its tables
 * (`storeOutbox(store)`, `storeMailboxDirectory(store)`), `memoryOutbox()` and `mailboxDirectory()`
 * of this package over plain maps, for a program without a database; anything with the same
 * shape does.
 *
 * @module
 */
import type { AuthMethod } from "@mailreg/core";
import type { SmtpSettingsInput } from "./resolve.ts";

/**
 * A mailbox that sends: the clear fields the precedence chain, the outbox and the Sent-folder copy
 * look at. A row of `@mailreg/store`'s `mailboxes` table has them all; a program without a database
 * writes one by hand.
 */
export interface SendingMailbox {
  /** A stable id (the outbox refers to the mailbox by it). */
  id: string;
  /** The normalised SMTP address (see `normalizeAddress` of `@mailreg/core`). */
  address: string;
  /** The instance the mailbox belongs to (its `smtp` is the instance level of the chain). */
  instanceId: string;
  /** The server template the mailbox was registered with (its `smtp` is the mailbox level), or null. */
  template: string | null;
  /** The login name at the mailbox's server (used where a level logs in with the mailbox's credentials). */
  login: string;
  /** How the mailbox signs in: its password, or an OAuth 2.0 grant (XOAUTH2). */
  authMethod: AuthMethod;
  /** The name shown in the From header of queued mail, if any. */
  displayName?: string | null;
  /** The mailbox's own SMTP settings; they win over the template's (level `mailbox`). */
  smtp?: SmtpSettingsInput | undefined;
  /** The sealed connection profile (JWE of `@mailreg/crypto-registry`), for levels that need the mailbox's password. */
  sealed?: string;
  /** The registration the sealed profile is bound to (its binding id). */
  registrationId?: string;
}

/** Where mailboxes are looked up: by id (the outbox), by address (`resolveForAddress`). */
export interface MailboxDirectory {
  /**
   * The mailbox with this id.
   *
   * @throws {MailregError} NOT_FOUND when there is none
   */
  get(id: string): Promise<SendingMailbox>;
  /**
   * The mailboxes of a normalised address: one per instance that has it, or only the one of
   * `instanceId` when given (none when that instance has none).
   */
  findByAddress(address: string, options?: { instanceId?: string }): Promise<SendingMailbox[]>;
}

/** Where a queued message stands. */
export type OutboxStatus = "queued" | "sending" | "sent" | "failed";

/** A queued message as the queue hands it out (without its raw source). */
export interface QueuedMessage {
  id: string;
  mailboxId: string;
  /** The Message-ID header value, angle brackets included. */
  messageId: string | null;
  envelope: { from: string; to: string[] };
  status: OutboxStatus;
  /** Attempts started, this claim included. */
  attempts: number;
}

/** What {@link OutboxQueue.insert} stores. */
export interface OutboxInsert {
  /** The id to give the message (a UUIDv7 from `newId()`). */
  id: string;
  mailboxId: string;
  /** The Message-ID header value; unique per mailbox. */
  messageId: string;
  raw: Uint8Array;
  envelope: { from: string; to: string[] };
  /** When it was queued, and first due (default now). */
  at?: Date;
}

/** What {@link OutboxQueue.claimDue} needs. */
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

/** What {@link OutboxQueue.markSent} records for one message. */
export interface OutboxSent {
  id: string;
  at: Date;
  /** The server's answer (the 250 with its queue id). */
  response: string;
  /** A note for the administrator, e.g. recipients the server refused while accepting the others. */
  note?: string;
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

/** Where the copy of a sent message went, or why there is none. */
export type SentCopyRecord = { folder: string } | { error: string; errorCode: string };

/**
 * The queue of a durable outbox. Its promises: inserting is idempotent by (mailbox, Message-ID); a
 * claimed message is held by one claim until the claim's lease runs out; every transition out of
 * `sending` except "sent" names the claim it ends and is refused (false) when that claim no longer
 * holds; "sent" is final, whoever holds the claim.
 */
export interface OutboxQueue {
  /**
   * Queues a message. The same (mailbox, Message-ID) again returns the queued message unchanged.
   *
   * @returns the queued message and whether it was new
   */
  insert(input: OutboxInsert): Promise<{ message: QueuedMessage; created: boolean }>;
  /**
   * Claims up to `limit` due messages, oldest due first: queued ones whose time has come and
   * `sending` ones whose claim expired. Each claim counts as an attempt.
   */
  claimDue(claim: OutboxClaim): Promise<QueuedMessage[]>;
  /** The raw sources of messages by id (ids that do not exist are missing). */
  readRaw(ids: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Marks messages sent (all in one write where it can); returns how many were newly marked. */
  markSent(sent: readonly OutboxSent[]): Promise<number>;
  /** Ends a claim with a temporary failure: queued again, due at `nextAttemptAt`. */
  retryLater(failure: OutboxFailure & { nextAttemptAt: Date }): Promise<boolean>;
  /** Ends a claim with a permanent failure. */
  fail(failure: OutboxFailure): Promise<boolean>;
  /** Records where the Sent-folder copy of a sent message went, or why there is none. */
  recordSentCopy(id: string, copy: SentCopyRecord): Promise<void>;
}

/** What `enqueue`, `deliverDue` and `drainOutbox` work on: the queue and the mailboxes it sends for. */
export interface Outbox {
  queue: OutboxQueue;
  mailboxes: MailboxDirectory;
}
