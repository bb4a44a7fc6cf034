/**
 * The ports of the sync engine: the few interfaces it needs from whatever keeps its state. imap-sync
 * never imports a database; `@mailreg/store` implements these in its own adapter
 * (`storeSyncState`, `storeDeadLetterQueue`, `storeRerouteState`), and this package ships an
 * in-memory state ({@link createMemorySyncState}) and a JSON-file state
 * ({@link openJsonFileSyncState}) for programs with no database.
 *
 * - {@link SyncState}: runs, the saved state of each folder, and a {@link SyncJournal} per run that
 *   decides which messages of a chunk are new and commits the chunk with the folder's checkpoint.
 * - {@link SinkLedger}: what became of each message at each sink (for routing and re-runs).
 * - {@link DeadLetterQueue}: what a sink gave up on, to deliver again later.
 * - {@link RerouteState} and {@link MailboxLeases}: what re-running routing rules over stored
 *   messages reads, and how it keeps a worker from collecting the mailbox meanwhile.
 * - {@link MailboxRecord}: the mailbox as the engine needs it.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import type { DeadLetter, MessageKey, SinkMessage } from "./sink.ts";
import type { SavedFolderState } from "./source.ts";

/** A mailbox to collect: its id, address and connection profile (sealed, or in the clear). */
export type MailboxRecord = {
  /** Names the mailbox in message keys, folder states and runs. */
  id: string;
  address: string;
  /** The instance it belongs to (its routing rules). */
  instanceId?: string;
  /** Delete (or move to Trash) on the server what is stored. Default false. */
  deleteAfterFetch?: boolean;
} & (
  | {
      /** The connection profile sealed to the registry key (JWE, `@mailreg/crypto-registry`); needs `keyring`. */
      sealed: string;
      /** The sealed profile's binding id (the registration it came from). */
      registrationId: string;
      profile?: undefined;
    }
  | {
      /** The connection profile in the clear (a program that holds its own password). */
      profile: ConnectionProfile;
      sealed?: undefined;
    }
);

/** A message ready to be committed: its id is chosen before any sink sees it. */
export interface PreparedMessage extends SinkMessage {
  /** Where it came from: mailbox, folder and the folder's key for it. */
  key: MessageKey;
  /** Hex SHA-256 of the raw source. */
  contentHash: string;
}

/** What committing a chunk will do, as the journal decided it. */
export interface ChunkPlan {
  /** New messages: the sinks get them, the commit records them. */
  inserts: PreparedMessage[];
  /** Messages found again under a new UIDVALIDITY: they keep their id and get the new key. */
  rekeys: { id: string; key: MessageKey; uidvalidity: number; uid: number; flags: string[] }[];
  /** Messages already held whose flags changed. */
  flagUpdates: { id: string; key: MessageKey; flags: string[] }[];
  /** Messages already held under the same key with the same flags. */
  unchanged: number;
}

/** A folder's state to save with a chunk. */
export interface FolderStateUpdate {
  /** The mailbox. */
  mailboxId: string;
  /** The folder's path on the server. */
  folder: string;
  /** The server's hierarchy delimiter for it. */
  delimiter: string | null;
  /** Its special use (`\\Sent` …), or null. */
  specialUse: string | null;
  /** What a later run starts from. */
  state: SavedFolderState;
}

/** A dead letter with the mailbox and message it belongs to, as a queue keeps it. */
export type StoredDeadLetter = DeadLetter & { mailboxId: string; messageRowId?: string };

/** A folder's saved state, as {@link SyncState.folderStates} lists it. */
export interface SavedFolder {
  /** The folder's path on the server. */
  folder: string;
  /** Undefined when nothing of the folder is committed yet. */
  state?: SavedFolderState;
}

/** How a run ended, for {@link SyncState.finishRun}. */
export interface SyncRunResult {
  /** `failed` when anything failed (the summary's first error). */
  status: "ok" | "failed";
  /** New messages committed. */
  fetched: number;
  /** Messages deleted or moved on the server. */
  deleted: number;
  /** A MailregError code; never a secret. */
  errorCode?: string;
  /** What failed, for people; never a secret. */
  errorMessage?: string;
}

/**
 * What one run writes, chunk by chunk. Chunks are committed in the order given; `plan` of a chunk
 * is asked only after the chunk before it is committed.
 */
export interface SyncJournal {
  /**
   * Whether the journal keeps each message's raw source itself (a database does). When it does not
   * (a state of keys only), a message counts as kept only once every sink chosen for it took it:
   * one that a sink refused is not committed, its folder's checkpoint stays where it was, and it is
   * neither deleted on the server nor skipped by the next run.
   */
  readonly holdsMessages: boolean;
  /** Which keys are committed. */
  isStored(keys: readonly MessageKey[]): Promise<boolean[]>;
  /** Decides, reading only, which of these messages are new and which flag changes are real. */
  plan(
    messages: readonly PreparedMessage[],
    flags: readonly { key: MessageKey; flags: string[] }[],
  ): Promise<ChunkPlan>;
  /**
   * Commits a plan, the chunk's dead letters and the folder state in one step, after the chunks
   * committed before (call it again without waiting to queue the next one). After it resolves, a
   * later run starts after the chunk; if it rejects, none of it is committed.
   */
  commit(
    plan: ChunkPlan,
    extras?: { folderState?: FolderStateUpdate; deadLetters?: readonly StoredDeadLetter[] },
  ): Promise<void>;
  /** A hint: more than a chunk is coming (a database may commit on a thread of its own). */
  expectBulk?(): void;
  /** Makes what is committed durable against power loss too; called before deleting on the server. */
  makeDurable?(): Promise<void>;
  /** Waits for the commits given and releases what the journal holds. */
  close(): Promise<void>;
}

/** What the sync engine keeps between runs. */
export interface SyncState {
  /** Records that a run starts. @returns the run's id */
  startRun(mailboxId: string): Promise<string>;
  /** Records how the run ended. */
  finishRun(runId: string, result: SyncRunResult): Promise<void>;
  /** Every folder of the mailbox with a saved state. */
  folderStates(mailboxId: string): Promise<SavedFolder[]>;
  /** The journal of one run of the mailbox. */
  openJournal(mailboxId: string): SyncJournal;
  /** Where outcomes per message and sink are recorded; without one, flag changes go to every sink. */
  readonly ledger?: SinkLedger;
}

/** What became of a message at one sink. */
export type SinkState = "delivered" | "dropped" | "failed" | "dead-letter";

/** One message's outcome at one sink. */
export interface SinkResult {
  /** The message's id. */
  messageRowId: string;
  /** The sink's name (`id ?? kind`; never a credential). */
  sink: string;
  /** What became of it. */
  state: SinkState;
  /** Delivery attempts this time. Default 0 for dropped, else 1. */
  attempts?: number;
  /** Why it failed (at most 500 characters kept). */
  lastError?: string | null;
}

/** Where outcomes per message and sink are kept. */
export interface SinkLedger {
  /** Records outcomes (a later one replaces the state of the same message and sink). */
  recordSinkResults(results: readonly SinkResult[]): Promise<unknown>;
  /** message id → sink → state, for the messages that have any. */
  sinkStates(messageIds: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, SinkState>>>;
}

/** A message as a state holds it, to be delivered again. */
export interface HeldMessage {
  /** The message's id (what the ledger and dead letters name). */
  id: string;
  /** Where it came from. */
  key: MessageKey;
  /** Undefined when retention removed it (it is never delivered again). */
  raw: Uint8Array | undefined;
  /** Its size in octets. */
  size: number;
  /** Its flags when it was last seen. */
  flags: string[];
  /** Hex SHA-256 of the raw source. */
  contentHash: string;
  /** When the server received it. */
  internalDate?: Date;
}

/** A dead letter as a queue lists it. */
export type QueuedDeadLetter = StoredDeadLetter & { id: string; createdAt: string };

/** Dead letters, and the messages they are about (what `retryDeadLetter` reads and writes). */
export interface DeadLetterQueue {
  /** One dead letter, or undefined. */
  deadLetter(id: string): Promise<QueuedDeadLetter | undefined>;
  /** Newest first; at most `limit` (the queue's default when absent). */
  deadLetters(options: { mailboxId?: string; limit?: number }): Promise<QueuedDeadLetter[]>;
  /** Adds attempts and replaces the last error of a dead letter that failed again. */
  recordAttempt(id: string, attempt: { attempts: number; lastError: string }): Promise<void>;
  /** Removes a dead letter (delivered at last). @returns whether it existed */
  deleteDeadLetter(id: string): Promise<boolean>;
  /** The message, with its raw source where still kept. */
  heldMessage(id: string): Promise<HeldMessage | undefined>;
  /** Where the retry's outcome goes. */
  readonly ledger: SinkLedger;
}

/** What re-running routing rules over stored messages reads and writes. */
export interface RerouteState {
  /** A page of a mailbox's messages in id order, after `after`. */
  heldMessageIds(
    mailboxId: string,
    page: { after?: string; limit: number },
  ): Promise<{ id: string; rawPurged: boolean }[]>;
  /** One held message, or undefined. */
  heldMessage(id: string): Promise<HeldMessage | undefined>;
  /** folder → hierarchy delimiter, from the saved folder states. */
  folderDelimiters(mailboxId: string): Promise<ReadonlyMap<string, string | null>>;
  /** Keeps what a sink gave up on during the re-run. */
  addDeadLetters(letters: readonly StoredDeadLetter[]): Promise<void>;
  /** Where the re-run's outcomes go. */
  readonly ledger: SinkLedger;
  /** One audit entry `mailbox.reroute` (who, which mailbox, the counts). */
  audit?(entry: {
    actor: string;
    action: string;
    mailboxId: string;
    details: Record<string, unknown>;
  }): Promise<void>;
}

/** The leases that keep one process at a time on a mailbox. */
export interface MailboxLeases {
  /** Takes the lease when free (or expired). @returns whether it is now held by `owner` */
  acquireLease(lease: { mailboxId: string; owner: string; seconds: number }): Promise<boolean>;
  /** Extends a lease `owner` holds. @returns false when it was lost */
  renewLease(lease: { mailboxId: string; owner: string; seconds: number }): Promise<boolean>;
  /** Gives a lease up. */
  releaseLease(lease: { mailboxId: string; owner: string }): Promise<unknown>;
  /** Leaves a request for the process holding the lease to re-run the rules after its run. */
  requestReroute(mailboxId: string, request: { actor: string }): Promise<unknown>;
}
