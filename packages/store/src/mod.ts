/**
 * The database of mailreg: a drizzle-orm schema over libSQL (`file:` URLs embedded,
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

export { type AddressKeyDuplicate, fillAddressKeys, rekeyAddresses } from "./address-keys.ts";
export {
  listRecentAudit,
  type MailboxSyncState,
  mailboxSyncStates,
  type SearchRegistrationsOptions,
  type SyncRun,
  searchRegistrations,
} from "./admin-queries.ts";
export { type AuditEntry, type AuditInput, appendAudit, listAudit } from "./audit.ts";
export { mirrorConfig } from "./config-mirror.ts";
export {
  type ApplyRegistrationInput,
  type ApplyRegistrationResult,
  applyRegistration,
  type MailboxChange,
  mailboxChanges,
  rejectRegistration,
} from "./decisions.ts";
export { type Instance, type InstanceInput, listInstances, upsertInstances } from "./instances.ts";
export {
  type ChunkWriter,
  commitMessageChunk,
  countMessages,
  type DeadLetterRow,
  deleteDeadLetter,
  type FolderStateRow,
  finishSyncRun,
  getMessage,
  listDeadLetters,
  listFolderStates,
  listSyncRuns,
  type MessageChunk,
  type NewMessageRow,
  openChunkWriter,
  type SyncRunRow,
  startSyncRun,
} from "./mail-sync.ts";
export { findMailbox, getMailbox, listMailboxes, type Mailbox } from "./mailboxes.ts";
export {
  type IndexOptions,
  type IndexResult,
  indexPendingMessageText,
  type MessageTextExtractor,
} from "./message-index.ts";
export {
  type DeadLetterEntry,
  getDeadLetter,
  listMessageSinks,
  type MessageSinkRow,
  type SinkResult,
  type SinkState,
} from "./message-routing.ts";
export {
  ftsPhrases,
  getMessageDetail,
  listMessageFolders,
  listMessages,
  type MessageDetail,
  type MessagePage,
  type MessageQuery,
  type MessageSummary,
  type RawSource,
  rawMessageStream,
  readRawChunks,
  readRawMessage,
  type StoredAddress,
  type StoredEnvelope,
  type StoredFolder,
} from "./messages-read.ts";
export { MIGRATIONS_FOLDER, migrate } from "./migrate.ts";
export {
  GRANT_STATES,
  type GrantState,
  getGrantState,
  listGrantStates,
  type MailboxGrant,
  setGrantState,
} from "./oauth-grants.ts";
// the outbox is written through the adapter (storeOutbox); the reads for the admin are here
export {
  countOutbox,
  getOutboxMessage,
  listOutbox,
  type OutboxClaim,
  type OutboxEntry,
  type OutboxFailure,
  type OutboxInsert,
  type OutboxMessage,
  type OutboxSent,
  type OutboxStatus,
} from "./outbox.ts";
export {
  type StoreMailboxDirectory,
  type StoreOutbox,
  type StoreOutboxQueue,
  storeMailboxDirectory,
  storeOutbox,
  storeOutboxQueue,
} from "./outbox-adapter.ts";
export {
  addRateLimitHit,
  clearRateLimitHits,
  hitRateLimit,
  type RateLimitHit,
  type RateLimitKey,
  recentRateLimitHits,
} from "./rate-limits.ts";
export {
  countRegistrations,
  getRegistration,
  type ImportProgress,
  type ImportRegistrationsOptions,
  importRegistrations,
  insertRegistration,
  iterateRegistrations,
  type ListRegistrationsOptions,
  listRegistrations,
} from "./registrations.ts";
export { type RerouteRequest, requestReroute, takeRerouteRequest } from "./reroute-requests.ts";
export { deleteMessagesOlderThan, purgeRawOlderThan, type RetentionScope } from "./retention.ts";
export * as schema from "./schema.ts";
export { iterateSealed, replaceSealed, type SealedEntry, type SealedTable } from "./sealed.ts";
export { initSetting } from "./setting-once.ts";
export { getSetting, setSetting } from "./settings.ts";
export { type OpenStoreOptions, openStore, type Store, type StoreDb, type StoreTx } from "./store.ts";
export {
  type StoreDeadLetterQueue,
  type StoreRerouteState,
  type StoreSinkLedger,
  type StoreSyncJournal,
  type StoreSyncState,
  type SyncChunkMessage,
  type SyncChunkPlan,
  type SyncDeadLetter,
  type SyncFolderStateUpdate,
  type SyncHeldMessage,
  type SyncMessageKey,
  type SyncQueuedDeadLetter,
  storeDeadLetterQueue,
  storeRerouteState,
  storeSinkLedger,
  storeSyncJournal,
  storeSyncState,
} from "./sync-adapter.ts";
export {
  listWindows,
  OPEN_NOW_SETTING,
  type RegistrationWindow,
  replaceWindows,
  setOpenNow,
} from "./windows.ts";
export {
  acquireLease,
  backoffSeconds,
  clearSyncRequest,
  finishInterruptedRuns,
  type Lease,
  type LeaseInput,
  listLeases,
  listMailboxSchedules,
  listSyncRequests,
  type MailboxSchedule,
  type MailboxSchedulePatch,
  type MailboxWorkerState,
  mailboxSyncState,
  markRunInterrupted,
  type NextSync,
  nextSyncDue,
  releaseLease,
  renewLease,
  requestSync,
  type ScheduleRun,
  type SyncRequest,
  setMailboxSchedule,
} from "./worker-state.ts";
export { writeTransaction } from "./write-lock.ts";
