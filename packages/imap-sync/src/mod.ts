/**
 * Collecting mail from IMAP and POP3 mailboxes, incrementally and without loss, into sinks (a
 * Maildir, a webhook, in-process listeners, a sink of your own) with the sync state kept where you
 * choose: in memory, in a JSON file, or in `@mailreg/store`'s database through its adapter.
 *
 * - {@link syncMailbox}: one run of one mailbox (folder policy, chunked commits, delete after fetch).
 * - {@link SyncState} and the other ports: what the engine needs from whatever keeps its state;
 *   {@link createMemorySyncState} and {@link openJsonFileSyncState} implement them with no database.
 * - {@link verifyLogin} and {@link checkMailbox}: does a profile log in, what folders does it have.
 * - {@link routeMessage} and {@link rerouteMailbox}: routing rules choose a message's sinks; re-run
 *   them over stored messages. {@link retryDeadLetter}: deliver what a sink gave up on again.
 * - {@link Source} and {@link Sink}: the connector interfaces; {@link SOURCES} and {@link SINKS}
 *   their registries; {@link sinksFromConfig}: the config's sinks.
 *
 * @example
 * ```ts
 * import { createMaildirSink, openJsonFileSyncState, syncMailbox } from "@mailreg/imap-sync";
 * const state = await openJsonFileSyncState("./mail/state.json");
 * const maildir = createMaildirSink({ root: "./mail", mailboxDir: () => "me" });
 * const profile = {
 *   v: 1, address: "me@example.org", protocol: "imap", host: "imap.example.org", port: 993,
 *   security: "tls", login: "me", auth: { method: "password", password: "secret" },
 * } as const;
 * const run = await syncMailbox({ id: "me", address: profile.address, profile }, { state, sinks: [maildir] });
 * console.log(run.status, run.fetched);
 * ```
 *
 * @module
 */
export { type CheckMailboxOptions, type CheckResult, type CheckStep, checkMailbox } from "./check-mailbox.ts";
export { sinksFromConfig } from "./configured-sinks.ts";
export type { ConnectOptions, TlsOptions } from "./connect-options.ts";
export {
  defineSink,
  defineSource,
  type SinkConnector,
  type SinkContext,
  type SourceConnector,
} from "./connector.ts";
export { contentHash } from "./content-hash.ts";
export {
  type RedeliveryResult,
  type RetryResult,
  redeliverDeadLetters,
  retryDeadLetter,
} from "./dead-letters.ts";
export { type Envelope, type EnvelopeAddress, parseEnvelope } from "./envelope.ts";
export { createEventSink, type EventSink, type MailEvent, type MailEventListener } from "./event-sink.ts";
export {
  applySpecialUseOverrides,
  type FolderPolicyInput,
  type SpecialUseOverrides,
  selectFolders,
} from "./folder-policy.ts";
export { closeImap, connectImap } from "./imap-connect.ts";
export { imapSource } from "./imap-source.ts";
export {
  type JsonFileSyncState,
  type JsonFileSyncStateOptions,
  openJsonFileSyncState,
} from "./json-file-sync-state.ts";
export type { MailFailureReason } from "./mail-error.ts";
export { createMaildirSink, type MaildirSinkOptions, maildirSink } from "./maildir-sink.ts";
export {
  createMemorySyncState,
  type MemoryHeldMessage,
  type MemorySyncRun,
  type MemorySyncState,
  type MemorySyncStateOptions,
  type SyncStateSnapshot,
} from "./memory-sync-state.ts";
export { pop3Source } from "./pop3-source.ts";
export type {
  ChunkPlan,
  DeadLetterQueue,
  FolderStateUpdate,
  HeldMessage,
  MailboxLeases,
  MailboxRecord,
  PreparedMessage,
  QueuedDeadLetter,
  RerouteState,
  SavedFolder,
  SinkLedger,
  SinkResult,
  SinkState,
  StoredDeadLetter,
  SyncJournal,
  SyncRunResult,
  SyncState,
} from "./ports.ts";
export {
  type RerouteMailbox,
  type RerouteMailboxOptions,
  type RerouteMailboxResult,
  type RerouteOptions,
  type RerouteSummary,
  rerouteHeldMailbox,
  rerouteMailbox,
  rerouteStoredMessages,
} from "./reroute.ts";
export { type RoutableMessage, type RoutingDecision, routeMessage, routingForMailbox } from "./routing.ts";
export type { DeadLetter, MessageKey, Sink, SinkMessage } from "./sink.ts";
export { pauseAfterGiveUp } from "./sink-breaker.ts";
export { sinkName } from "./sink-dispatch.ts";
export { createSink, SINKS } from "./sinks.ts";
export type {
  FetchContext,
  FolderInfo,
  FolderStatus,
  SavedFolderState,
  Source,
  SourceCapabilities,
  SourceEvent,
  SourceFactory,
  SourceKey,
  SourceMessage,
  SpecialUse,
} from "./source.ts";
export { SOURCES } from "./sources.ts";
export {
  type FolderSyncSummary,
  type SyncMailboxOptions,
  type SyncProgress,
  type SyncSummary,
  syncMailbox,
} from "./sync-mailbox.ts";
export { templateTls } from "./template-tls.ts";
export { type VerifyLoginResult, verifyLogin } from "./verify-login.ts";
export {
  createWebhookSink,
  SIGNATURE_HEADER,
  signWebhookBody,
  type WebhookSinkOptions,
  webhookSink,
} from "./webhook-sink.ts";
