/**
 * The sync engine: one run of one mailbox. Opens the sealed profile (the private key stays in
 * memory), connects the source for its protocol, collects the folders the policy names chunk by
 * chunk into the store (and the other sinks), deletes or moves on the server only what is durably
 * stored, and records the run in `sync_runs`.
 *
 * Per chunk (≤ `chunkMessages` messages or ≤ `chunkBytes` bytes): the store decides which messages
 * are new (re-keying those it finds again after a UIDVALIDITY change), the other sinks get the new
 * ones, then one transaction commits the messages, flag changes, dead letters and the folder state
 * that covers them. An interrupted run resumes after the last committed chunk; a sink may see the
 * last chunk twice (at-least-once), the store never.
 *
 * A chunk is committed while the next one is fetched: for a folder of more than one chunk in a
 * `file:` database, on the store's writer thread (`openChunkWriter`), so SQLite writes while this
 * thread reads the connection. Chunks still commit one after the other, in order, and deleting on
 * the server waits for the last one.
 *
 * @module
 */
import {
  type ConnectionProfile,
  type FolderPolicy,
  FolderPolicySchema,
  isMailregError,
  newId,
  type Routing,
} from "@mailreg/core";
import { type Keyring, open } from "@mailreg/crypto-registry";
import {
  finishSyncRun,
  listFolderStates,
  listInstances,
  type Mailbox,
  recordSinkResults,
  type Store,
  sinkStatesOf,
  startSyncRun,
} from "@mailreg/store";
import type { ConnectOptions } from "./connect-options.ts";
import { contentHash, readAll } from "./content-hash.ts";
import { parseEnvelope } from "./envelope.ts";
import {
  applySpecialUseOverrides,
  type FolderPolicyInput,
  type SpecialUseOverrides,
  selectFolders,
} from "./folder-policy.ts";
import type { MessageKey, Sink } from "./sink.ts";
import { dispatchToSinks, sinkName } from "./sink-dispatch.ts";
import type { FolderInfo, SavedFolderState, Source, SourceFactory, SourceKey } from "./source.ts";
import { SOURCES } from "./sources.ts";
import { createStoreSink, type PreparedMessage, type StoreSink } from "./store-sink.ts";

/** Options of {@link syncMailbox}. */
export interface SyncMailboxOptions {
  /** The open store: messages, folder state, sync runs and dead letters go there. */
  store: Store;
  /** Holds the registry private key the mailbox's profile is sealed to. */
  keyring: Keyring;
  /** Sinks besides the store (Maildir, webhook, in-process events), named by `id ?? kind`. */
  sinks?: readonly Sink[];
  /**
   * Which of `sinks` each new message goes to (the instance's rules, first match wins); without it,
   * every sink. The outcome per message and sink is recorded in `message_sinks`; with routing, flag
   * changes go only to the sinks a message was delivered to.
   */
  routing?: Routing;
  /** Which folders; default the instance's policy from the store, else INBOX only. */
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
 * Never throws for a mail server's or a sink's failure: the summary (and the `sync_runs` row) says
 * what failed, with a MailregError code (`MAIL_AUTH_FAILED` for a wrong password …).
 *
 * @param mailbox the mailbox row (`@mailreg/store`), with its sealed profile
 * @param options store, keyring, sinks, policy, delete-after-fetch override, progress, abort signal
 * @returns what the run did
 * @throws {MailregError} STORE_UNAVAILABLE when the run cannot even be recorded
 * @example
 * ```ts
 * import { loadKeyring } from "@mailreg/crypto-registry";
 * import { syncMailbox } from "@mailreg/imap-sync";
 * import { listMailboxes, openStore } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * const keyring = await loadKeyring({ publicKeyFile: "keys/registry.public.jwk", privateKeyDir: "keys/private" });
 * for (const mailbox of await listMailboxes(store)) {
 *   const summary = await syncMailbox(mailbox, {
 *     store, keyring,
 *     folderPolicy: { mode: "all", folders: [], includeSubfolders: true, exclude: ["\\Junk"] },
 *     onProgress: (p) => console.log(p.folder, p.fetched, "/", p.expected),
 *   });
 *   console.log(mailbox.address, summary.status, summary.fetched, summary.error?.code ?? "");
 * }
 * store.close();
 * ```
 */
export async function syncMailbox(mailbox: Mailbox, options: SyncMailboxOptions): Promise<SyncSummary> {
  const started = performance.now();
  const runId = await startSyncRun(options.store, mailbox.id);
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
  await finishSyncRun(options.store, runId, {
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
  mailbox: Mailbox;
  options: SyncMailboxOptions;
  source: Source;
  storeSink: StoreSink;
  summary: SyncSummary;
  deleteAfterFetch: boolean;
  trash: string | undefined;
}

async function _run(
  mailbox: Mailbox,
  options: SyncMailboxOptions,
  summary: SyncSummary,
  fail: (error: unknown) => void,
): Promise<void> {
  const profile = await open(mailbox.sealed, options.keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  const factory = (options.sources ?? SOURCES).get(profile.protocol);
  if (factory === undefined) throw new TypeError(`No source for protocol ${profile.protocol}`);
  const connect: ConnectOptions = { ...options.connect };
  if (profile.auth.method === "oauth2" && options.accessToken !== undefined) {
    connect.accessToken = await options.accessToken(profile);
  }
  const source = await factory(profile, connect);
  let storeSink: StoreSink | undefined;
  try {
    const policy = options.folderPolicy ?? (await _instancePolicy(options.store, mailbox.instanceId));
    const folders = applySpecialUseOverrides(await source.listFolders(), options.specialUse ?? {});
    const deleteAfterFetch = options.alwaysDeleteAfterFetch === true || mailbox.deleteAfterFetch;
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
    const states = new Map((await listFolderStates(options.store, mailbox.id)).map((s) => [s.folder, s]));
    storeSink = createStoreSink(options.store);
    // more than a chunk to collect, as the LIST already says: the writer thread starts now, while
    // the folders are opened, not once the first chunk is read
    let backlog = 0;
    for (const folder of chosen) backlog += _newAtMost(folder, states.get(folder.path));
    if (backlog > (options.chunkMessages ?? _DEFAULT_CHUNK_MESSAGES)) storeSink.useWriterThread();
    const context: _Context = {
      mailbox,
      options,
      source,
      storeSink,
      summary,
      deleteAfterFetch: deleteAfterFetch && (options.deleteMode !== "trash" || trash !== undefined),
      trash,
    };
    for (const folder of chosen) {
      if (options.signal?.aborted === true) break;
      const row = states.get(folder.path);
      const saved: SavedFolderState | undefined =
        row?.uidvalidity === null || row?.uidvalidity === undefined
          ? undefined
          : {
              uidValidity: row.uidvalidity,
              lastUid: row.lastUid ?? 0,
              ...(row.highestModseq === null ? {} : { highestModseq: row.highestModseq }),
            };
      const folderSummary = await _syncFolder(context, folder, saved);
      summary.folders.push(folderSummary);
      if (folderSummary.error !== undefined) fail(folderSummary.error);
    }
  } finally {
    await storeSink?.close().catch(fail);
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
  const { mailbox, options, source, storeSink, summary } = context;
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
    const plan = await storeSink.plan(messages, chunk.flags);
    // sinks get a new message before it is committed: an interrupted chunk is delivered again
    const { deadLetters, results } = await dispatchToSinks(sinks, options.routing, plan.inserts);
    const delivered =
      options.routing === undefined || plan.flagUpdates.length === 0
        ? undefined
        : await sinkStatesOf(
            options.store,
            plan.flagUpdates.map((u) => u.id),
          );
    for (const sink of sinks) {
      for (const update of plan.flagUpdates) {
        if (delivered !== undefined && delivered.get(update.id)?.get(sinkName(sink)) !== "delivered")
          continue;
        await sink.flagsChanged?.(update.key, update.flags).catch(() => {});
      }
      if (chunk.vanished.length > 0) await sink.vanished?.(chunk.vanished).catch(() => {});
    }
    const state = chunk.state;
    await storeSink.commit(plan, {
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
    await recordSinkResults(options.store, results);
    // kept only to delete them: a run of 100,000 messages would otherwise hold 100,000 keys
    if (context.deleteAfterFetch) for (const m of chunk.messages) stored.push(m.sourceKey);
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
      isStored: (keys) => storeSink.isStored(keys.map(keyOf)),
      listStored: context.deleteAfterFetch,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    for await (const event of events) {
      switch (event.type) {
        case "status":
          expected = event.expected;
          out.uidValidityChanged = saved !== undefined && saved.uidValidity !== event.status.uidValidity;
          // more than one chunk: commit on the store's writer thread while the reading goes on
          if (expected > chunkMessages) storeSink.useWriterThread();
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
      await storeSink.makeDurable();
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
function _newAtMost(
  folder: FolderInfo,
  saved: { uidvalidity: number | null; lastUid: number | null } | undefined,
): number {
  const status = folder.status;
  if (status === undefined) return 0;
  if (saved?.uidvalidity !== status.uidValidity) return status.exists;
  return Math.max(0, Math.min(status.exists, status.uidNext - 1 - (saved.lastUid ?? 0)));
}

async function _instancePolicy(store: Store, instanceId: string): Promise<FolderPolicy> {
  const instance = (await listInstances(store)).find((i) => i.id === instanceId);
  const parsed = FolderPolicySchema.safeParse(
    (instance?.settings as { folderPolicy?: unknown } | undefined)?.folderPolicy,
  );
  return parsed.success ? parsed.data : FolderPolicySchema.parse({});
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
  if (isMailregError(error)) return { code: error.code, message: error.message };
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string" && typeof e.message === "string" && /^[A-Z_]+$/.test(e.code)) {
    return { code: e.code, message: e.message };
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
