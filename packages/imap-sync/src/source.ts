/**
 * The Source connector interface: where mail is collected from.
 *
 * A source is any object of this shape; IMAP (`imap-source.ts`) and POP3 (`pop3-source.ts`) are two.
 * To add one (say Microsoft Graph), write ONE new file exporting a {@link SourceFactory}, and add one
 * line to `SOURCES` in `sources.ts`. The sync engine (`syncMailbox`) then collects from it with the
 * same folder policy, chunked commits, delete-after-fetch and sinks as from IMAP:
 *
 * ```ts
 * export const graphSource: SourceFactory = async (profile, options) => ({
 *   kind: "graph",
 *   capabilities: { folders: true, flags: true, vanished: true, move: true },
 *   async listFolders() { … },
 *   async *fetchNew(folder, since, context) { yield { type: "status", … }; yield { type: "message", … }; … },
 *   async delete(folder, keys) { … },
 *   async close() { … },
 * });
 * ```
 *
 * Rules a source keeps:
 * - `fetchNew` yields a `status` event first, then messages in the order they should be committed,
 *   interleaved with `checkpoint` events. A checkpoint says: once everything yielded before me is
 *   stored, a later run may start from my state. The engine saves the last checkpoint of each chunk in
 *   the same transaction as the chunk's messages, so an interrupted run neither loses nor repeats.
 * - A message's `source` is read once, to its end, before the next event is requested.
 * - `delete` and `move` are only called for messages already durably stored, after `fetchNew`
 *   for that folder has finished.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import type { ConnectOptions } from "./connect-options.ts";

/** RFC 6154 special uses (and `\Inbox`, which imapflow adds for INBOX). */
export type SpecialUse =
  | "\\All"
  | "\\Archive"
  | "\\Drafts"
  | "\\Flagged"
  | "\\Junk"
  | "\\Sent"
  | "\\Trash"
  | "\\Inbox";

/** One folder as the server lists it. */
export interface FolderInfo {
  /** The full path, with the server's delimiter ("INBOX", "Firma/Vertrieb", "INBOX.Archiv"). */
  path: string;
  /** The hierarchy delimiter the server uses for this path; null for a flat namespace. */
  delimiter: string | null;
  /** The special use, detected (RFC 6154) or set by an override. */
  specialUse?: SpecialUse;
  /**
   * true when the server did not mark the special use (no SPECIAL-USE) and it was guessed from the
   * folder's name ("Sent", "Entwürfe"): shown as a guess, never used to exclude the folder until an
   * override confirms it.
   */
  specialUseGuessed?: boolean;
  /**
   * The namespace (RFC 2342) the folder lies in: "personal" (the owner's own), "other" (other users'
   * folders shared with the owner) or "shared" (public folders). Absent means personal. Only personal
   * folders are collected unless the policy names a folder.
   */
  namespace?: "personal" | "other" | "shared";
  /** Whether the owner subscribed to it. */
  subscribed: boolean;
  /** LIST flags (`\HasChildren`, `\Noselect` …). */
  flags: string[];
  /** false for `\Noselect` / `\NonExistent` containers that hold no messages. */
  selectable: boolean;
  /** Its state as the LIST reported it, where the server answers LIST-STATUS (RFC 5819). */
  status?: FolderStatus;
}

/** A folder's state on the server now. */
export interface FolderStatus {
  uidValidity: number;
  uidNext: number;
  /** HIGHESTMODSEQ as decimal text (it exceeds a JS number's exact range); absent without CONDSTORE. */
  highestModseq?: string;
  /** Messages in the folder. */
  exists: number;
}

/** What a run remembers of a folder, to fetch only what is new next time. */
export interface SavedFolderState {
  uidValidity: number;
  /** The highest UID stored (everything at or below it under this UIDVALIDITY is stored). */
  lastUid: number;
  /** HIGHESTMODSEQ when flags were last brought up to date (decimal text). */
  highestModseq?: string;
}

/** How a source names one message: IMAP by UIDVALIDITY and UID, POP3 by UIDL. */
export type SourceKey = { uidValidity: number; uid: number } | { uidl: string };

/** One new message. */
export interface SourceMessage {
  key: SourceKey;
  /** Flags (`\Seen`, `\Flagged`, keywords …); POP3 has none. */
  flags: string[];
  /** When the server received it (IMAP INTERNALDATE). */
  internalDate?: Date;
  /** Size in octets as the server counts it. */
  size: number;
  /** The raw message, chunk by chunk; read it to its end before asking for the next event. */
  source: AsyncIterable<Uint8Array>;
}

/** What {@link Source.fetchNew} yields. */
export type SourceEvent =
  /** First: the folder's state now, and how many new messages to expect (for progress). */
  | { type: "status"; status: FolderStatus; expected: number }
  | { type: "message"; message: SourceMessage }
  /** A stored message's flags changed (CONDSTORE/QRESYNC, or the fallback's full flag scan). */
  | { type: "flags"; key: SourceKey; flags: string[] }
  /** Messages expunged on the server since the saved state (QRESYNC VANISHED). */
  | { type: "vanished"; keys: SourceKey[] }
  /**
   * Messages still on the server that an earlier run stored (only when `context.listStored`): what
   * delete-after-fetch removes besides this run's messages.
   */
  | { type: "stored"; keys: SourceKey[] }
  /** Everything yielded so far may be committed together with this state. */
  | { type: "checkpoint"; state: SavedFolderState };

/** What the engine lends a source while it fetches. */
export interface FetchContext {
  /** Which of these keys are already stored (POP3 asks, to skip what it fetched before). */
  isStored(keys: readonly SourceKey[]): Promise<boolean[]>;
  /** Also report messages an earlier run stored that are still on the server (delete-after-fetch). */
  listStored?: boolean;
  /** Aborted: stop at the next message boundary (the engine commits what it has). */
  signal?: AbortSignal;
}

/** What a source can do; the engine skips what it cannot. */
export interface SourceCapabilities {
  /** More than one folder (IMAP); POP3 has only INBOX. */
  folders: boolean;
  /** Reports flag changes of stored messages. */
  flags: boolean;
  /** Reports messages expunged on the server. */
  vanished: boolean;
  /** Can move messages to another folder (e.g. Trash). */
  move: boolean;
}

/** A connected source. */
export interface Source {
  /** The registry kind, e.g. "imap". */
  readonly kind: string;
  readonly capabilities: SourceCapabilities;
  /** Every folder, with delimiter, special use and subscription. */
  listFolders(): Promise<FolderInfo[]>;
  /**
   * New messages (and flag changes, expunges) of a folder since `since` (everything when undefined
   * or when the folder's UIDVALIDITY changed).
   */
  fetchNew(
    folder: string,
    since: SavedFolderState | undefined,
    context: FetchContext,
  ): AsyncIterable<SourceEvent>;
  /** Deletes stored messages on the server (IMAP: \Deleted + UID EXPUNGE; POP3: DELE, committed at close). */
  delete(folder: string, keys: readonly SourceKey[]): Promise<number>;
  /** Moves stored messages to another folder (only when `capabilities.move`). */
  move?(folder: string, keys: readonly SourceKey[], destination: string): Promise<number>;
  /** Ends the session (POP3: QUIT commits its DELEs). */
  close(): Promise<void>;
}

/** Connects a source for a profile; throws a MailregError (MAIL_*) when it cannot. */
export type SourceFactory = (profile: ConnectionProfile, options: ConnectOptions) => Promise<Source>;
