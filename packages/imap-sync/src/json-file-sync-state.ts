/**
 * A sync state in one JSON file: what a program with no database keeps between runs to collect a
 * mailbox incrementally (into a Maildir, a webhook, a sink of its own). The only `node:` file of the
 * sync state: it reads the file once and rewrites it after each committed chunk and each finished
 * run, atomically (a temporary file beside it, flushed, then renamed over it) and readable by its
 * owner only (mode 0600).
 *
 * It keeps per folder the saved state and, per message, key, id, flags, content hash and
 * Message-ID (≈ 150 bytes a message), not the messages: the sinks hold them. So a message counts
 * as collected, and may be deleted on the server, only once every sink chosen for it took it. The
 * whole file is rewritten per chunk, which suits a personal mailbox (tens of thousands of messages);
 * an archive of millions belongs in `@mailreg/store`. One process at a time may use a file.
 *
 * It keeps no sink ledger and no dead letters (what a sink refused is collected again instead), so
 * with routing rules a flag change goes to every sink.
 *
 * @module
 */
import { open, readFile, rename, rm } from "node:fs/promises";
import { MailregError } from "@mailreg/core";
import { createMemorySyncState, type MemorySyncState, type SyncStateSnapshot } from "./memory-sync-state.ts";
import type { SyncState } from "./ports.ts";

/** The JSON-file state: a {@link SyncState}, and what it holds. */
export type JsonFileSyncState = SyncState & Pick<MemorySyncState, "messages" | "runs" | "snapshot">;

/** Options of {@link openJsonFileSyncState}. */
export interface JsonFileSyncStateOptions {
  /** Runs kept per mailbox (newest). Default 20. */
  keepRuns?: number;
}

/**
 * Opens (or starts) the sync state kept in `path`.
 *
 * @param path the JSON file; created at the first commit, its folder must exist
 * @param options runs kept
 * @returns the state (an in-memory state that writes itself to `path`)
 * @throws {MailregError} SYNC_STATE_INVALID when the file is not a sync state
 * @example
 * ```ts
 * import { openJsonFileSyncState } from "@mailreg/imap-sync";
 * const state = await openJsonFileSyncState("./mail/sync-state.json");
 * console.log(await state.folderStates("me")); // [] the first time
 * ```
 */
export async function openJsonFileSyncState(
  path: string,
  options: JsonFileSyncStateOptions = {},
): Promise<JsonFileSyncState> {
  const from = await _read(path);
  const memory = createMemorySyncState({
    ...(from === undefined ? {} : { from }),
    ...(options.keepRuns === undefined ? {} : { keepRuns: options.keepRuns }),
    onChange: (state) => _writeAtomically(path, JSON.stringify(state.snapshot())),
  });
  // no ledger: the memory one would forget between runs what each sink got
  return {
    startRun: memory.startRun,
    finishRun: memory.finishRun,
    folderStates: memory.folderStates,
    openJournal: memory.openJournal,
    messages: memory.messages,
    runs: memory.runs,
    snapshot: memory.snapshot,
  };
}

async function _read(path: string): Promise<SyncStateSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MailregError("SYNC_STATE_INVALID", `${path} is not JSON`, { cause: error });
  }
  const s = parsed as Partial<SyncStateSnapshot> | null;
  if (
    s === null ||
    typeof s !== "object" ||
    s.format !== "mailreg-sync-state" ||
    s.version !== 1 ||
    typeof s.mailboxes !== "object" ||
    s.mailboxes === null
  ) {
    throw new MailregError("SYNC_STATE_INVALID", `${path} is not a mailreg sync state (version 1)`);
  }
  return s as SyncStateSnapshot;
}

async function _writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}
