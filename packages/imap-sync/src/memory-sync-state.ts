/**
 * A sync state in memory: the {@link SyncState} of a program with no database, and what the
 * JSON-file state ({@link openJsonFileSyncState}) keeps between runs.
 *
 * Per folder it keeps the saved state (UIDVALIDITY, last UID, HIGHESTMODSEQ) and, per message, its
 * key, id, flags, content hash and Message-ID: enough to tell new messages from known ones, to see
 * real flag changes, and to re-key the messages of a folder found again under a new UIDVALIDITY
 * instead of handing them to the sinks twice. With `keepMessages` it also keeps each raw source
 * (then it holds the messages itself, and dead letters can be delivered again); without, the sinks
 * hold them and a message counts as kept only once every sink chosen for it took it.
 *
 * @module
 */
import { newId } from "@mailreg/core";
import type {
  ChunkPlan,
  DeadLetterQueue,
  FolderStateUpdate,
  HeldMessage,
  PreparedMessage,
  QueuedDeadLetter,
  SavedFolder,
  SinkLedger,
  SinkResult,
  SinkState,
  StoredDeadLetter,
  SyncJournal,
  SyncRunResult,
  SyncState,
} from "./ports.ts";
import type { MessageKey } from "./sink.ts";

/** A run as the memory state records it. */
export interface MemorySyncRun {
  /** The run's id. */
  id: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** When it ended (ISO 8601). */
  finishedAt?: string;
  /** `running` until it ends. */
  status: "running" | "ok" | "failed";
  /** New messages committed. */
  fetched: number;
  /** Messages deleted or moved on the server. */
  deleted: number;
  /** A MailregError code when it failed. */
  errorCode?: string;
  /** What failed; never a secret. */
  errorMessage?: string;
}

/**
 * What a memory state holds, as plain JSON (what the JSON-file state writes). Message entries are
 * `[id, flags, contentHash, messageId]`, keyed by `"<uidvalidity>:<uid>"` (IMAP) or `"#<uidl>"` (POP3).
 */
export interface SyncStateSnapshot {
  /** Names the format. */
  format: "mailreg-sync-state";
  /** The format's version. */
  version: 1;
  /** Per mailbox id: its folders and runs. */
  mailboxes: Record<
    string,
    {
      folders: Record<
        string,
        {
          delimiter: string | null;
          specialUse: string | null;
          uidValidity?: number;
          lastUid?: number;
          highestModseq?: string;
          messages: Record<string, [string, string[], string, string | null]>;
        }
      >;
      runs: MemorySyncRun[];
    }
  >;
}

/** Options of {@link createMemorySyncState}. */
export interface MemorySyncStateOptions {
  /** Keep each raw source too (the state then holds the messages; dead letters can be retried). Default false. */
  keepMessages?: boolean;
  /** Start from what a state held before ({@link MemorySyncState.snapshot}). */
  from?: SyncStateSnapshot;
  /** Called after each commit and finished run, in order; a rejection fails that commit and every later one. */
  onChange?: (state: MemorySyncState) => Promise<void>;
  /** Runs kept per mailbox (newest). Default 20. */
  keepRuns?: number;
}

/** A message as the memory state holds it. */
export interface MemoryHeldMessage {
  /** The message's id. */
  id: string;
  /** Where it came from. */
  key: MessageKey;
  /** Its flags as last committed. */
  flags: string[];
  /** Hex SHA-256 of the raw source. */
  contentHash: string;
  /** Its Message-ID without angle brackets. */
  messageId: string | null;
  /** With `keepMessages` only (and only for messages committed since the state was opened): */
  raw?: Uint8Array;
  /** Its size in octets. */
  size?: number;
  /** When the server received it. */
  internalDate?: Date;
}

/** The memory state: a {@link SyncState} (with a ledger) and a {@link DeadLetterQueue}, and what it holds. */
export interface MemorySyncState extends SyncState, DeadLetterQueue {
  /** Outcomes per message and sink, in memory. */
  readonly ledger: SinkLedger;
  /** The messages held for a mailbox (of one folder), in the order they were committed. */
  messages(mailboxId: string, folder?: string): MemoryHeldMessage[];
  /** The runs of a mailbox, newest first. */
  runs(mailboxId: string): MemorySyncRun[];
  /** Everything but raw sources and dead letters, as plain JSON. */
  snapshot(): SyncStateSnapshot;
}

interface _Entry {
  id: string;
  flags: string[];
  hash: string;
  messageId: string | null;
  /** Undefined for POP3. */
  uidValidity?: number;
  raw?: Uint8Array;
  size: number;
  internalDate?: Date;
}

interface _Folder {
  delimiter: string | null;
  specialUse: string | null;
  state?: { uidValidity: number; lastUid: number; highestModseq?: string };
  byKey: Map<string, _Entry>;
}

interface _Mailbox {
  folders: Map<string, _Folder>;
  runs: MemorySyncRun[];
}

/** The key of a message within its folder. */
function _keyOf(key: MessageKey): string {
  return "uidl" in key ? `#${key.uidl}` : `${key.uidValidity}:${key.uid}`;
}

function _parseKey(mailboxId: string, folder: string, text: string): MessageKey {
  if (text.startsWith("#")) return { mailboxId, folder, uidl: text.slice(1) };
  const colon = text.indexOf(":");
  return { mailboxId, folder, uidValidity: Number(text.slice(0, colon)), uid: Number(text.slice(colon + 1)) };
}

/**
 * A sync state in memory.
 *
 * @param options keep raw sources, start from a snapshot, persist on change
 * @returns the state
 * @example
 * ```ts
 * import { createMemorySyncState } from "@mailreg/imap-sync";
 * const state = createMemorySyncState();
 * console.log(await state.folderStates("m1")); // []
 * ```
 */
export function createMemorySyncState(options: MemorySyncStateOptions = {}): MemorySyncState {
  const keepMessages = options.keepMessages === true;
  const keepRuns = options.keepRuns ?? 20;
  const mailboxes = new Map<string, _Mailbox>();
  const byId = new Map<string, { mailboxId: string; folder: string; key: string }>();
  const sinkStates = new Map<string, Map<string, SinkState>>();
  const letters = new Map<string, QueuedDeadLetter>();
  /** The last change handed to `onChange`: the next waits for it. */
  let changed: Promise<void> = Promise.resolve();
  let broken: { error: unknown } | undefined;

  const mailboxOf = (id: string): _Mailbox => {
    let m = mailboxes.get(id);
    if (m === undefined) {
      m = { folders: new Map(), runs: [] };
      mailboxes.set(id, m);
    }
    return m;
  };
  const folderOf = (mailboxId: string, folder: string): _Folder => {
    const m = mailboxOf(mailboxId);
    let f = m.folders.get(folder);
    if (f === undefined) {
      f = { delimiter: null, specialUse: null, byKey: new Map() };
      m.folders.set(folder, f);
    }
    return f;
  };
  const entryOf = (key: MessageKey): _Entry | undefined =>
    mailboxes.get(key.mailboxId)?.folders.get(key.folder)?.byKey.get(_keyOf(key));

  if (options.from !== undefined) {
    for (const [mailboxId, m] of Object.entries(options.from.mailboxes)) {
      const mailbox = mailboxOf(mailboxId);
      mailbox.runs = [...m.runs];
      for (const [path, f] of Object.entries(m.folders)) {
        const folder = folderOf(mailboxId, path);
        folder.delimiter = f.delimiter;
        folder.specialUse = f.specialUse;
        if (f.uidValidity !== undefined) {
          folder.state = {
            uidValidity: f.uidValidity,
            lastUid: f.lastUid ?? 0,
            ...(f.highestModseq === undefined ? {} : { highestModseq: f.highestModseq }),
          };
        }
        for (const [key, [id, flags, hash, messageId]] of Object.entries(f.messages)) {
          const uidValidity = key.startsWith("#") ? undefined : Number(key.slice(0, key.indexOf(":")));
          folder.byKey.set(key, {
            id,
            flags,
            hash,
            messageId,
            size: 0,
            ...(uidValidity === undefined ? {} : { uidValidity }),
          });
          byId.set(id, { mailboxId, folder: path, key });
        }
      }
    }
  }

  /** Runs `apply` now and hands the change to `onChange` after the changes before it. */
  const change = (apply: () => void): Promise<void> => {
    if (broken !== undefined) return Promise.reject(broken.error);
    apply();
    const hook = options.onChange;
    if (hook === undefined) return Promise.resolve();
    const next = changed.then(async () => {
      if (broken !== undefined) throw broken.error;
      try {
        await hook(state);
      } catch (error) {
        broken = { error };
        throw error;
      }
    });
    changed = next.catch(() => {});
    return next;
  };

  const ledger: SinkLedger = {
    async recordSinkResults(results: readonly SinkResult[]) {
      for (const r of results) {
        let m = sinkStates.get(r.messageRowId);
        if (m === undefined) {
          m = new Map();
          sinkStates.set(r.messageRowId, m);
        }
        m.set(r.sink, r.state);
      }
      return results.length;
    },
    async sinkStates(ids) {
      const out = new Map<string, ReadonlyMap<string, SinkState>>();
      for (const id of ids) {
        const m = sinkStates.get(id);
        if (m !== undefined) out.set(id, new Map(m));
      }
      return out;
    },
  };

  const addLetters = (list: readonly StoredDeadLetter[]) => {
    const createdAt = new Date().toISOString();
    for (const d of list) {
      const id = newId();
      letters.set(id, { ...d, id, createdAt });
    }
  };

  const plan = (
    messages: readonly PreparedMessage[],
    flags: readonly { key: MessageKey; flags: string[] }[],
  ): ChunkPlan => {
    const out: ChunkPlan = { inserts: [], rekeys: [], flagUpdates: [], unchanged: 0 };
    const fresh: PreparedMessage[] = [];
    const seen = new Set<string>();
    for (const m of messages) {
      const entry = entryOf(m.key);
      const k = `${m.key.mailboxId}\0${m.key.folder}\0${_keyOf(m.key)}`;
      if (entry === undefined && !seen.has(k)) {
        seen.add(k);
        fresh.push(m);
      } else if (entry === undefined || "uidl" in m.key || _sameFlags(entry.flags, m.flags)) out.unchanged++;
      else out.flagUpdates.push({ id: entry.id, key: m.key, flags: m.flags });
    }
    for (const f of flags) {
      const entry = entryOf(f.key);
      if (entry !== undefined && !_sameFlags(entry.flags, f.flags))
        out.flagUpdates.push({ id: entry.id, key: f.key, flags: f.flags });
    }
    // found again under a new UIDVALIDITY: same content and Message-ID in the same folder
    const candidates = new Map<string, _Entry[]>();
    const used = new Set<string>();
    const scanned = new Set<string>();
    for (const m of fresh) {
      const key = m.key;
      if ("uidl" in key) {
        out.inserts.push(m);
        continue;
      }
      const scope = `${key.mailboxId}\0${key.folder}\0${key.uidValidity}`;
      if (!scanned.has(scope)) {
        scanned.add(scope);
        for (const e of mailboxes.get(key.mailboxId)?.folders.get(key.folder)?.byKey.values() ?? []) {
          if (e.uidValidity === undefined || e.uidValidity === key.uidValidity) continue;
          const list = candidates.get(`${scope}\0${e.hash}`) ?? [];
          list.push(e);
          candidates.set(`${scope}\0${e.hash}`, list);
        }
      }
      const match = candidates
        .get(`${scope}\0${m.contentHash}`)
        ?.find((e) => !used.has(e.id) && (e.messageId ?? undefined) === m.envelope.messageId);
      if (match === undefined) out.inserts.push(m);
      else {
        used.add(match.id);
        out.rekeys.push({ id: match.id, key, uidvalidity: key.uidValidity, uid: key.uid, flags: m.flags });
      }
    }
    return out;
  };

  const apply = (
    chunk: ChunkPlan,
    extras: { folderState?: FolderStateUpdate; deadLetters?: readonly StoredDeadLetter[] },
  ) => {
    for (const m of chunk.inserts) {
      const folder = folderOf(m.key.mailboxId, m.key.folder);
      const key = _keyOf(m.key);
      if (folder.byKey.has(key)) continue;
      folder.byKey.set(key, {
        id: m.id,
        flags: [...m.flags],
        hash: m.contentHash,
        messageId: m.envelope.messageId ?? null,
        size: m.size,
        ...("uid" in m.key ? { uidValidity: m.key.uidValidity } : {}),
        ...(keepMessages ? { raw: m.raw } : {}),
        ...(m.internalDate === undefined ? {} : { internalDate: m.internalDate }),
      });
      byId.set(m.id, { mailboxId: m.key.mailboxId, folder: m.key.folder, key });
    }
    for (const r of chunk.rekeys) {
      const at = byId.get(r.id);
      const folder = at === undefined ? undefined : mailboxes.get(at.mailboxId)?.folders.get(at.folder);
      const entry = at === undefined ? undefined : folder?.byKey.get(at.key);
      if (at === undefined || folder === undefined || entry === undefined) continue;
      folder.byKey.delete(at.key);
      const key = _keyOf(r.key);
      const target = folderOf(r.key.mailboxId, r.key.folder);
      target.byKey.set(key, { ...entry, uidValidity: r.uidvalidity, flags: [...r.flags] });
      byId.set(r.id, { mailboxId: r.key.mailboxId, folder: r.key.folder, key });
    }
    for (const u of chunk.flagUpdates) {
      const entry = entryOf(u.key);
      if (entry !== undefined) entry.flags = [...u.flags];
    }
    if (keepMessages && extras.deadLetters !== undefined) addLetters(extras.deadLetters);
    const fs = extras.folderState;
    if (fs !== undefined) {
      const folder = folderOf(fs.mailboxId, fs.folder);
      folder.delimiter = fs.delimiter;
      folder.specialUse = fs.specialUse;
      folder.state = { ...fs.state };
    }
  };

  const heldMessage = async (id: string): Promise<HeldMessage | undefined> => {
    const at = byId.get(id);
    const entry = at && mailboxes.get(at.mailboxId)?.folders.get(at.folder)?.byKey.get(at.key);
    if (at === undefined || entry === undefined) return undefined;
    return {
      id,
      key: _parseKey(at.mailboxId, at.folder, at.key),
      raw: entry.raw,
      size: entry.size,
      flags: [...entry.flags],
      contentHash: entry.hash,
      ...(entry.internalDate === undefined ? {} : { internalDate: entry.internalDate }),
    };
  };

  const state: MemorySyncState = {
    ledger,

    async startRun(mailboxId) {
      const run: MemorySyncRun = {
        id: newId(),
        startedAt: new Date().toISOString(),
        status: "running",
        fetched: 0,
        deleted: 0,
      };
      const m = mailboxOf(mailboxId);
      m.runs.unshift(run);
      m.runs.length = Math.min(m.runs.length, keepRuns);
      return run.id;
    },

    async finishRun(runId, result: SyncRunResult) {
      await change(() => {
        for (const m of mailboxes.values()) {
          const run = m.runs.find((r) => r.id === runId);
          if (run !== undefined) Object.assign(run, result, { finishedAt: new Date().toISOString() });
        }
      });
    },

    async folderStates(mailboxId) {
      const out: SavedFolder[] = [];
      for (const [folder, f] of mailboxes.get(mailboxId)?.folders ?? []) {
        out.push(f.state === undefined ? { folder } : { folder, state: { ...f.state } });
      }
      return out.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
    },

    openJournal(): SyncJournal {
      /** The last commit given: the next one waits for it. */
      let last: Promise<void> = Promise.resolve();
      return {
        holdsMessages: keepMessages,
        async isStored(keys) {
          return keys.map((k) => entryOf(k) !== undefined);
        },
        async plan(messages, flags) {
          return plan(messages, flags);
        },
        commit(chunk, extras = {}) {
          const committed = last.then(() => change(() => apply(chunk, extras)));
          last = committed.catch(() => {});
          return committed;
        },
        async close() {
          await last;
        },
      };
    },

    async deadLetter(id) {
      const d = letters.get(id);
      return d === undefined ? undefined : { ...d };
    },
    async deadLetters(query) {
      const list = [...letters.values()]
        .filter((d) => query.mailboxId === undefined || d.mailboxId === query.mailboxId)
        .reverse();
      return list.slice(0, query.limit ?? 100);
    },
    async recordAttempt(id, attempt) {
      const d = letters.get(id);
      if (d !== undefined) letters.set(id, { ...d, ...attempt });
    },
    async deleteDeadLetter(id) {
      return letters.delete(id);
    },
    heldMessage,

    messages(mailboxId, only) {
      const out: MemoryHeldMessage[] = [];
      for (const [path, f] of mailboxes.get(mailboxId)?.folders ?? []) {
        if (only !== undefined && path !== only) continue;
        for (const [k, e] of f.byKey) {
          out.push({
            id: e.id,
            key: _parseKey(mailboxId, path, k),
            flags: [...e.flags],
            contentHash: e.hash,
            messageId: e.messageId,
            ...(e.raw === undefined ? {} : { raw: e.raw, size: e.size }),
            ...(e.internalDate === undefined ? {} : { internalDate: e.internalDate }),
          });
        }
      }
      return out;
    },

    runs(mailboxId) {
      return (mailboxes.get(mailboxId)?.runs ?? []).map((r) => ({ ...r }));
    },

    snapshot() {
      const out: SyncStateSnapshot = { format: "mailreg-sync-state", version: 1, mailboxes: {} };
      for (const [mailboxId, m] of mailboxes) {
        const folders: SyncStateSnapshot["mailboxes"][string]["folders"] = {};
        for (const [path, f] of m.folders) {
          const messages: Record<string, [string, string[], string, string | null]> = {};
          for (const [k, e] of f.byKey) messages[k] = [e.id, e.flags, e.hash, e.messageId];
          folders[path] = {
            delimiter: f.delimiter,
            specialUse: f.specialUse,
            ...(f.state === undefined
              ? {}
              : {
                  uidValidity: f.state.uidValidity,
                  lastUid: f.state.lastUid,
                  ...(f.state.highestModseq === undefined ? {} : { highestModseq: f.state.highestModseq }),
                }),
            messages,
          };
        }
        out.mailboxes[mailboxId] = { folders, runs: m.runs.filter((r) => r.status !== "running") };
      }
      return out;
    },
  };
  return state;
}

function _sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((f) => set.has(f));
}
