/**
 * The sync engine: one run of one mailbox. Opens the sealed profile (the private key stays in
 * memory) or takes the clear one, connects the source for its protocol, collects the folders the
 * policy names chunk by chunk into the sync state's journal and the sinks, deletes or moves on the
 * server only what is durably kept, and records the run in the state.
 *
 * Per chunk (≤ `chunkMessages` messages or ≤ `chunkBytes` bytes): the journal decides which
 * messages are new (re-keying those it finds again after a UIDVALIDITY change), the sinks get the
 * new ones, then one commit records the messages, flag changes, dead letters and the folder state
 * that covers them. An interrupted run resumes after the last committed chunk; a sink may see the
 * last chunk twice (at-least-once), a journal never. A journal that does not keep the messages
 * itself (the memory and JSON-file states) commits a message only once every sink chosen for it
 * took it; one a sink refused stays on the server, with the folder's checkpoint before it.
 *
 * A chunk is committed while the next one is fetched (with `@mailreg/store`'s journal, on the
 * store's writer thread for a folder of more than one chunk, so SQLite writes while this thread
 * reads the connection). Chunks still commit one after the other, in order, and deleting on the
 * server waits for the last one.
 *
 * @module
 */
import {
  type ConnectionProfile,
  ERROR_CODES,
  errorInfo,
  FolderPolicySchema,
  MailregError,
  newId,
  type Routing,
} from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import type { ConnectOptions } from "./connect-options.ts";
import { contentHash, readAll } from "./content-hash.ts";
import { parseEnvelope } from "./envelope.ts";
import {
  applySpecialUseOverrides,
  type FolderPolicyInput,
  type SpecialUseOverrides,
  selectFolders,
} from "./folder-policy.ts";
import type { MailboxRecord, PreparedMessage, SyncJournal, SyncState } from "./ports.ts";
import type { MessageKey, Sink } from "./sink.ts";
import { dispatchToSinks, sinkName } from "./sink-dispatch.ts";
import type { FolderInfo, SavedFolderState, Source, SourceFactory, SourceKey } from "./source.ts";
import { SOURCES } from "./sources.ts";

/** Options of {@link syncMailbox}. */
export interface SyncMailboxOptions {
  /**
   * Where runs, folder states and what is collected are kept: `storeSyncState(store)` of
   * `@mailreg/store`, {@link createMemorySyncState} or {@link openJsonFileSyncState}.
   */
  state: SyncState;
  /** Holds the registry private key a sealed profile is sealed to (not needed for a clear profile). */
  keyring?: Keyring;
  /** Where collected mail goes (store journal aside): Maildir, webhook, in-process events, named by `id ?? kind`. */
  sinks?: readonly Sink[];
  /**
   * Which of `sinks` each new message goes to (the instance's rules, first match wins); without it,
   * every sink. The outcome per message and sink is recorded in the state's ledger; with routing,
   * flag changes go only to the sinks a message was delivered to.
   */
  routing?: Routing;
  /** Which folders (the instance's policy); default INBOX only. */
  folderPolicy?: FolderPolicyInput;
  /** Special-use folders for servers that do not mark them (the server template's `trashFolder` …). */
  specialUse?: SpecialUseOverrides;
  /** Timeouts and certificate policy of the connection. */
  connect?: Omit<ConnectOptions, "accessToken">;
  /** For OAuth 2.0 profiles: a fresh access token for the profile (from `@mailreg/oauth`). */
  accessToken?: (profile: ConnectionProfile) => Promise<string>;
  /** The worker-wide override (MultiPOP's "always delete retrieved messages"): wins over the mailbox. */
  alwaysDeleteAfterFetch?: boolean;
  /** Delete-after-fetch expunges (default) or moves to the Trash folder (detected or overridden). */
  deleteMode?: "expunge" | "trash";
  /** Called at each folder's start and after each committed chunk. */
  onProgress?: (progress: SyncProgress) => void;
  /** Aborting finishes the current chunk (commits it, deletes what is stored), then ends the run. */
  signal?: AbortSignal;
  /** Messages per chunk. Default 500. */
  chunkMessages?: number;
  /** Bytes per chunk. Default 16 MiB. */
  chunkBytes?: number;
  /** The source registry. Default {@link SOURCES}. */
  sources?: ReadonlyMap<string, SourceFactory>;
}

/** Where a run stands. */
export interface SyncProgress {
  mailboxId: string;
  folder: string;
  /** New messages expected in this folder (from the server's counts). */
  expected: number;
  /** New messages stored in this folder so far. */
  fetched: number;
  /** New messages stored in this run so far, all folders. */
  totalFetched: number;
  /** Bytes of new messages stored in this run so far. */
  totalBytes: number;
}

/** What a run did in one folder. */
export interface FolderSyncSummary {
  path: string;
  specialUse?: string;
  /** New messages stored. */
  fetched: number;
  bytes: number;
  /** Messages found again after a UIDVALIDITY change and re-keyed instead of stored twice. */
  rekeyed: number;
  flagsChanged: number;
  vanished: number;
  deleted: number;
  uidValidityChanged: boolean;
  error?: { code: string; message: string };
}

/** What a run did. */
export interface SyncSummary {
  runId: string;
  mailboxId: string;
  status: "ok" | "failed";
  /** True when the signal ended the run early (after committing the current chunk). */
  aborted: boolean;
  fetched: number;
  bytes: number;
  rekeyed: number;
  flagsChanged: number;
  vanished: number;
  deleted: number;
  deadLetters: number;
  folders: FolderSyncSummary[];
  /** The first failure (the run's `error_code`/`error_message`); never holds a secret. */
  error?: { code: string; message: string };
  durationMs: number;
}

const _DEFAULT_CHUNK_MESSAGES = 500;
const _DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
const _MAX_PENDING_FLAGS = 5_000;

/**
 * Collects one mailbox once.
 *
 * Never throws for a mail server's or a sink's failure: the summary (and the state's run record)
 * says what failed, with a MailregError code (`MAIL_AUTH_FAILED` for a wrong password …).
 *
 * @param mailbox the mailbox: id, address, and its profile (sealed, or in the clear)
 * @param options state, keyring, sinks, policy, delete-after-fetch override, progress, abort signal
 * @returns what the run did
 * @throws {MailregError} when the state cannot even record the run (STORE_UNAVAILABLE …)
 * @example
 * ```ts
 * import { createMaildirSink, openJsonFileSyncState, syncMailbox } from "@mailreg/imap-sync";
 * const state = await openJsonFileSyncState("./mail/state.json");
 * const summary = await syncMailbox(
 *   {
 *     id: "me",
 *     address: "me@example.org",
 *     profile: {
 *       v: 1, address: "me@example.org", protocol: "imap", host: "imap.example.org", port: 993,
 *       security: "tls", login: "me", auth: { method: "password", password: "secret" },
 *     },
 *   },
 *   { state, sinks: [createMaildirSink({ root: "./mail", mailboxDir: () => "me" })] },
 * );
 * console.log(summary.status, summary.fetched, summary.error?.code ?? "");
 * ```
 */
export async function syncMailbox(mailbox: MailboxRecord, options: SyncMailboxOptions): Promise<SyncSummary> {
  const started = performance.now();
  const state = options.state;
  const runId = await state.startRun(mailbox.id);
  const summary: SyncSummary = {
    runId,
    mailboxId: mailbox.id,
    status: "ok",
    aborted: false,
    fetched: 0,
    bytes: 0,
    rekeyed: 0,
    flagsChanged: 0,
    vanished: 0,
    deleted: 0,
    deadLetters: 0,
    folders: [],
    durationMs: 0,
  };
  const fail = (error: unknown) => {
    summary.status = "failed";
    summary.error ??= _errorInfo(error);
  };
  try {
    await _run(mailbox, options, summary, fail);
  } catch (error) {
    fail(error);
  }
  summary.aborted = options.signal?.aborted === true;
  summary.durationMs = Math.round(performance.now() - started);
  await state.finishRun(runId, {
    status: summary.status,
    fetched: summary.fetched,
    deleted: summary.deleted,
    ...(summary.error === undefined
      ? {}
      : { errorCode: summary.error.code, errorMessage: summary.error.message }),
  });
  return summary;
}

interface _Context {
  mailbox: MailboxRecord;
  options: SyncMailboxOptions;
  source: Source;
  journal: SyncJournal;
  summary: SyncSummary;
  deleteAfterFetch: boolean;
  trash: string | undefined;
}

async function _run(
  mailbox: MailboxRecord,
  options: SyncMailboxOptions,
  summary: SyncSummary,
  fail: (error: unknown) => void,
): Promise<void> {
  const profile = await _profile(mailbox, options.keyring);
  const factory = (options.sources ?? SOURCES).get(profile.protocol);
  if (factory === undefined) throw new TypeError(`No source for protocol ${profile.protocol}`);
  const connect: ConnectOptions = { ...options.connect };
  if (profile.auth.method === "oauth2" && options.accessToken !== undefined) {
    connect.accessToken = await options.accessToken(profile);
  }
  const source = await factory(profile, connect);
  let journal: SyncJournal | undefined;
  try {
    const policy = options.folderPolicy ?? FolderPolicySchema.parse({});
    const folders = applySpecialUseOverrides(await source.listFolders(), options.specialUse ?? {});
    let deleteAfterFetch = options.alwaysDeleteAfterFetch === true || mailbox.deleteAfterFetch === true;
    const trash =
      deleteAfterFetch && options.deleteMode === "trash"
        ? folders.find((f) => f.specialUse === "\\Trash")?.path
        : undefined;
    if (
      deleteAfterFetch &&
      options.deleteMode === "trash" &&
      (trash === undefined || source.move === undefined)
    ) {
      fail({
        code: "NOT_FOUND",
        message: "Delete after fetch should move to Trash, but there is no Trash folder: nothing was deleted",
      });
    }
    // with POP3 there is one folder and no policy to apply
    let chosen = source.capabilities.folders ? selectFolders(folders, policy) : folders;
    if (trash !== undefined) chosen = chosen.filter((f) => f.path !== trash);
    const states = new Map(
      (await options.state.folderStates(mailbox.id)).map((s) => [s.folder, s.state] as const),
    );
    const opened = options.state.openJournal(mailbox.id);
    journal = opened;
    if (deleteAfterFetch && !opened.holdsMessages && (options.sinks ?? []).length === 0) {
      // nothing would hold what is deleted
      deleteAfterFetch = false;
      fail(
        new MailregError(
          "SINK_FAILED",
          "Delete after fetch needs a sink or a state that keeps the messages: nothing was deleted",
        ),
      );
    }
    // more than a chunk to collect, as the LIST already says: the journal hears it now, while the
    // folders are opened, not once the first chunk is read
    let backlog = 0;
    for (const folder of chosen) backlog += _newAtMost(folder, states.get(folder.path));
    if (backlog > (options.chunkMessages ?? _DEFAULT_CHUNK_MESSAGES)) opened.expectBulk?.();
    const context: _Context = {
      mailbox,
      options,
      source,
      journal: opened,
      summary,
      deleteAfterFetch: deleteAfterFetch && (options.deleteMode !== "trash" || trash !== undefined),
      trash,
    };
    for (const folder of chosen) {
      if (options.signal?.aborted === true) break;
      const saved = states.get(folder.path);
      const folderSummary = await _syncFolder(context, folder, saved);
      summary.folders.push(folderSummary);
      if (folderSummary.error !== undefined) fail(folderSummary.error);
    }
  } finally {
    await journal?.close().catch(fail);
    try {
      await source.close();
    } catch (error) {
      fail(error);
    }
  }
}

async function _syncFolder(
  context: _Context,
  folder: FolderInfo,
  saved: SavedFolderState | undefined,
): Promise<FolderSyncSummary> {
  const { mailbox, options, source, journal, summary } = context;
  const ledger = options.state.ledger;
  const sinks = options.sinks ?? [];
  const chunkMessages = options.chunkMessages ?? _DEFAULT_CHUNK_MESSAGES;
  const chunkBytes = options.chunkBytes ?? _DEFAULT_CHUNK_BYTES;
  const out: FolderSyncSummary = {
    path: folder.path,
    ...(folder.specialUse === undefined ? {} : { specialUse: folder.specialUse }),
    fetched: 0,
    bytes: 0,
    rekeyed: 0,
    flagsChanged: 0,
    vanished: 0,
    deleted: 0,
    uidValidityChanged: false,
  };
  const keyOf = (key: SourceKey): MessageKey => ({ mailboxId: mailbox.id, folder: folder.path, ...key });
  let pending: _Fetched[] = [];
  let pendingBytes = 0;
  let flags: { key: MessageKey; flags: string[] }[] = [];
  let vanished: MessageKey[] = [];
  let checkpoint: SavedFolderState | undefined;
  /** The state handed to the last chunk (committed once `previous` resolves). */
  let issued = saved;
  let expected = 0;
  const stored: SourceKey[] = [];
  /** The last chunk on its way to the store: it runs while the next chunk is fetched. */
  let previous: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;

  const progress = () =>
    options.onProgress?.({
      mailboxId: mailbox.id,
      folder: folder.path,
      expected,
      fetched: out.fetched,
      totalFetched: summary.fetched,
      totalBytes: summary.bytes,
    });

  /** Plans, hands to the other sinks and commits one chunk; see {@link flush}. */
  const storeChunk = async (chunk: {
    messages: _Fetched[];
    flags: { key: MessageKey; flags: string[] }[];
    vanished: MessageKey[];
    state: SavedFolderState | undefined;
  }) => {
    // hashing and parsing a whole chunk at once, not between reads of the connection
    const messages = chunk.messages.map((m) => _prepared(m, folder.delimiter));
    const plan = await journal.plan(messages, chunk.flags);
    // sinks get a new message before it is committed: an interrupted chunk is delivered again
    const dispatched = await dispatchToSinks(sinks, options.routing, plan.inserts);
    let { deadLetters, results } = dispatched;
    // a journal of keys only: a message a chosen sink did not take is not kept anywhere, so it is
    // not committed, and the folder's checkpoint stays before it (it is collected again)
    let refused: Set<string> | undefined;
    if (!journal.holdsMessages) {
      const failed = results.filter((r) => r.state === "failed" || r.state === "dead-letter");
      if (failed.length > 0) refused = new Set(failed.map((r) => r.messageRowId));
      deadLetters = [];
      if (refused !== undefined) {
        const out = refused;
        plan.inserts = plan.inserts.filter((m) => !out.has(m.id));
        results = results.filter((r) => !out.has(r.messageRowId));
      }
    }
    const delivered =
      options.routing === undefined || plan.flagUpdates.length === 0 || ledger === undefined
        ? undefined
        : await ledger.sinkStates(plan.flagUpdates.map((u) => u.id));
    for (const sink of sinks) {
      for (const update of plan.flagUpdates) {
        if (delivered !== undefined && delivered.get(update.id)?.get(sinkName(sink)) !== "delivered")
          continue;
        await sink.flagsChanged?.(update.key, update.flags).catch(() => {});
      }
      if (chunk.vanished.length > 0) await sink.vanished?.(chunk.vanished).catch(() => {});
    }
    const state = refused === undefined ? chunk.state : undefined;
    await journal.commit(plan, {
      deadLetters,
      ...(state === undefined
        ? {}
        : {
            folderState: {
              mailboxId: mailbox.id,
              folder: folder.path,
              delimiter: folder.delimiter,
              specialUse: folder.specialUse ?? null,
              state,
            },
          }),
    });
    // recorded once the messages exist (a crash before this leaves them to a re-run of the rules)
    if (results.length > 0) await ledger?.recordSinkResults(results);
    // kept only to delete them: a run of 100,000 messages would otherwise hold 100,000 keys
    if (context.deleteAfterFetch)
      for (const m of chunk.messages) if (refused?.has(m.id) !== true) stored.push(m.sourceKey);
    let bytes = 0;
    for (const m of plan.inserts) bytes += m.size;
    out.fetched += plan.inserts.length;
    out.bytes += bytes;
    out.rekeyed += plan.rekeys.length;
    out.flagsChanged += plan.flagUpdates.length;
    out.vanished += chunk.vanished.length;
    summary.fetched += plan.inserts.length;
    summary.bytes += bytes;
    summary.rekeyed += plan.rekeys.length;
    summary.flagsChanged += plan.flagUpdates.length;
    summary.vanished += chunk.vanished.length;
    summary.deadLetters += deadLetters.length;
    progress();
    if (refused !== undefined) {
      const out = refused;
      const first = dispatched.results.find((r) => out.has(r.messageRowId) && r.state !== "dropped");
      throw new MailregError(
        "SINK_FAILED",
        `${refused.size} message(s) of ${folder.path} were not taken by sink ${first?.sink ?? "?"} (${first?.lastError ?? "failed"}): they stay on the server and are collected again`,
        { details: { folder: folder.path, messages: refused.size } },
      );
    }
  };

  /**
   * Hands the chunk gathered so far to {@link storeChunk} without waiting for its commit, so the
   * next chunk is fetched meanwhile (for a bulk of chunks the commit runs on the store's writer
   * thread). The chunk before is awaited first: chunks commit in order, a plan (which messages are
   * new, which are found again after a UIDVALIDITY change) sees every earlier chunk stored, and no
   * more than two chunks are held in memory.
   */
  const flush = async () => {
    await previous;
    if (failed !== undefined) return;
    const stateMoved = checkpoint !== undefined && !_sameState(checkpoint, issued);
    if (pending.length === 0 && flags.length === 0 && vanished.length === 0 && !stateMoved) return;
    const chunk = { messages: pending, flags, vanished, state: checkpoint };
    issued = checkpoint ?? issued;
    pending = [];
    pendingBytes = 0;
    flags = [];
    vanished = [];
    previous = storeChunk(chunk).catch((error: unknown) => {
      failed = { error };
    });
  };

  try {
    const events = source.fetchNew(folder.path, saved, {
      isStored: (keys) => journal.isStored(keys.map(keyOf)),
      listStored: context.deleteAfterFetch,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for await (const event of events) {
      switch (event.type) {
        case "status":
          expected = event.expected;
          out.uidValidityChanged = saved !== undefined && saved.uidValidity !== event.status.uidValidity;
          // more than one chunk: the journal may commit on a thread of its own meanwhile
          if (expected > chunkMessages) journal.expectBulk?.();
          progress();
          break;
        case "message": {
          const m = event.message;
          const raw = await readAll(m.source);
          pending.push({
            id: newId(),
            key: keyOf(m.key),
            sourceKey: m.key,
            raw,
            size: m.size > 0 ? m.size : raw.length,
            flags: m.flags,
            ...(m.internalDate === undefined ? {} : { internalDate: m.internalDate }),
          });
          pendingBytes += raw.length;
          break;
        }
        case "flags":
          flags.push({ key: keyOf(event.key), flags: event.flags });
          break;
        case "vanished":
          vanished.push(...event.keys.map(keyOf));
          break;
        case "stored":
          if (context.deleteAfterFetch) stored.push(...event.keys);
          break;
        case "checkpoint":
          checkpoint = event.state;
          break;
      }
      if (
        pending.length >= chunkMessages ||
        pendingBytes >= chunkBytes ||
        flags.length >= _MAX_PENDING_FLAGS
      ) {
        await flush();
      }
      if (failed !== undefined || options.signal?.aborted === true) break;
    }
    await flush();
  } catch (error) {
    out.error = _errorInfo(error);
  } finally {
    await previous;
  }
  if (failed !== undefined) out.error ??= _errorInfo(failed.error);

  if (context.deleteAfterFetch && stored.length > 0) {
    try {
      await journal.makeDurable?.();
      const n =
        context.trash !== undefined && source.move !== undefined
          ? await source.move(folder.path, stored, context.trash)
          : await source.delete(folder.path, stored);
      out.deleted += n;
      summary.deleted += n;
    } catch (error) {
      out.error ??= _errorInfo(error);
    }
  }
  return out;
}

/** A message as fetched, before it is prepared. */
interface _Fetched {
  id: string;
  key: MessageKey;
  sourceKey: SourceKey;
  raw: Uint8Array;
  size: number;
  flags: string[];
  internalDate?: Date;
}

/** A fetched message with its content hash and envelope. */
function _prepared(m: _Fetched, delimiter: string | null): PreparedMessage {
  return {
    id: m.id,
    key: m.key,
    raw: m.raw,
    size: m.size,
    flags: m.flags,
    ...(m.internalDate === undefined ? {} : { internalDate: m.internalDate }),
    envelope: parseEnvelope(m.raw),
    delimiter,
    contentHash: contentHash(m.raw),
  };
}

/** New messages in a folder at most, from the state its LIST reported (0 when it reported none). */
function _newAtMost(folder: FolderInfo, saved: SavedFolderState | undefined): number {
  const status = folder.status;
  if (status === undefined) return 0;
  if (saved?.uidValidity !== status.uidValidity) return status.exists;
  return Math.max(0, Math.min(status.exists, status.uidNext - 1 - saved.lastUid));
}

/** The mailbox's connection profile: in the clear, or opened with the keyring. */
async function _profile(mailbox: MailboxRecord, keyring: Keyring | undefined): Promise<ConnectionProfile> {
  if (mailbox.profile !== undefined) return mailbox.profile;
  if (keyring === undefined) {
    throw new MailregError("SEAL_NO_PRIVATE_KEY", "The mailbox's profile is sealed and no keyring was given");
  }
  return await open(mailbox.sealed, keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
}

function _sameState(a: SavedFolderState, b: SavedFolderState | undefined): boolean {
  return (
    b !== undefined &&
    a.uidValidity === b.uidValidity &&
    a.lastUid === b.lastUid &&
    a.highestModseq === b.highestModseq
  );
}

function _errorInfo(error: unknown): { code: string; message: string } {
  // a folder's error, or the run's own, is already { code, message } with a documented code
  const info = error as { code?: unknown; message?: unknown } | null;
  if (
    !(error instanceof Error) &&
    typeof info?.code === "string" &&
    typeof info.message === "string" &&
    Object.hasOwn(ERROR_CODES, info.code)
  ) {
    return { code: info.code, message: info.message };
  }
  // always a documented code: a refused commit (SQLITE_CONSTRAINT) is STORE_CONSTRAINT, not its own
  return errorInfo(error);
}
