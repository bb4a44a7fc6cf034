/**
 * The IMAP source, on imapflow: folders with their delimiter, special use and subscription;
 * incremental fetch by UIDVALIDITY and last UID; flag changes and expunges by QRESYNC, by CONDSTORE
 * (CHANGEDSINCE), or — on servers with neither — by a scan of all flags in bounded UID ranges; delete
 * with UID EXPUNGE (UIDPLUS) and move (MOVE, else COPY + delete).
 *
 * Only RFC 3501 is assumed: a SELECT without `OK [UIDNEXT n]` (Courier) is completed by STATUS
 * (UIDNEXT) or `UID FETCH last+1:* (UID)`, and such an estimate never becomes a checkpoint; a missing
 * UIDVALIDITY is a MAIL_PROTOCOL error naming it, so NaN or undefined never reaches saved state.
 *
 * A run with no change costs a constant number of round trips: LOGIN and LIST, then one SELECT per
 * folder (with QRESYNC, flag changes and expunges come with the SELECT; new messages are only
 * fetched when UIDNEXT moved).
 *
 * @module
 */
import { type ConnectionProfile, MailregError } from "@mailreg/core";
import type { ImapFlow } from "imapflow";
import type { ConnectOptions } from "./connect-options.ts";
import { defineSource, type SourceConnector } from "./connector.ts";
import { type BulkConnection, openBulkConnection } from "./imap-bulk-fetch.ts";
import { closeImap, connectImap, whyDropped } from "./imap-connect.ts";
import { toMailError } from "./mail-error.ts";
import { toSequenceSet } from "./sequence-set.ts";
import type {
  FetchContext,
  FolderInfo,
  FolderStatus,
  SavedFolderState,
  Source,
  SourceEvent,
  SourceKey,
  SpecialUse,
} from "./source.ts";

/**
 * Connects to an IMAP server and returns it as a {@link Source}.
 *
 * @param profile the opened connection profile (protocol "imap")
 * @param options timeouts, certificate policy, access token
 * @returns the connected source; `close()` it when done
 * @throws {MailregError} MAIL_AUTH_FAILED, MAIL_CONNECTION_FAILED, MAIL_TLS_FAILED or MAIL_PROTOCOL
 */
export const imapSource: SourceConnector = defineSource(
  { kind: "imap", label: "IMAP", defaultPorts: { tls: 993, starttls: 143, none: 143 } },
  async (profile: ConnectionProfile, options: ConnectOptions) => {
    const client = await connectImap(profile, options);
    const where = { host: profile.host, port: profile.port };
    // opened for the first folder with a large backlog, kept for the next ones, closed with the source
    let bulk: Promise<BulkConnection | undefined> | undefined;
    const bulkConnection = () => {
      bulk ??= openBulkConnection(profile, options);
      return bulk;
    };
    /** Each folder's state as the last LIST reported it (LIST-STATUS), by path. */
    const listed = new Map<string, FolderStatus>();
    const guard = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        throw toMailError(whyDropped(client, error), where);
      }
    };
    const source: Source = {
      kind: "imap",
      capabilities: {
        folders: true,
        flags: true,
        vanished: client.capabilities.has("QRESYNC"),
        move: true,
      },
      listFolders: () => guard(() => _listFolders(client, listed)),
      fetchNew: (folder, since, context) =>
        _fetchNew(client, folder, since, context, where, bulkConnection, listed.get(folder)),
      delete: (folder, keys) => guard(() => _delete(client, folder, keys)),
      move: (folder, keys, destination) => guard(() => _move(client, folder, keys, destination)),
      close: async () => {
        const open = bulk;
        bulk = undefined;
        await Promise.all([open?.then((b) => b?.close()), closeImap(client)]);
      },
    };
    return source;
  },
);

/**
 * The folders, and (where the server has LIST-STATUS, RFC 5819, and QRESYNC) each one's UIDVALIDITY,
 * UIDNEXT, HIGHESTMODSEQ and message count in the same round trip, kept in `listed`: a folder
 * whose state equals the saved one is not selected at all (see `_unchanged`).
 */
async function _listFolders(client: ImapFlow, listed: Map<string, FolderStatus>): Promise<FolderInfo[]> {
  const withStatus = client.capabilities.has("LIST-STATUS") && client.enabled.has("QRESYNC");
  const list = await client.list(
    withStatus
      ? { statusQuery: { uidValidity: true, uidNext: true, highestModseq: true, messages: true } }
      : {},
  );
  listed.clear();
  for (const entry of list) {
    const status = entry.status;
    if (
      status?.uidValidity === undefined ||
      status.uidNext === undefined ||
      status.highestModseq === undefined ||
      status.messages === undefined
    )
      continue;
    listed.set(entry.path, {
      uidValidity: Number(status.uidValidity),
      uidNext: status.uidNext,
      highestModseq: status.highestModseq.toString(),
      exists: status.messages,
    });
  }
  return list.map((entry) => {
    const flags = [...entry.flags];
    const folder: FolderInfo = {
      path: entry.path,
      delimiter: entry.delimiter === "" ? null : (entry.delimiter ?? null),
      subscribed: entry.subscribed,
      flags,
      selectable: !flags.some((f) => /^\\(noselect|nonexistent)$/i.test(f)),
    };
    if (entry.specialUse !== undefined && entry.specialUse !== "") {
      folder.specialUse = entry.specialUse as SpecialUse;
      // imapflow guesses from names where the server marks nothing: keep it, but as a guess
      if (entry.specialUseSource === "name") folder.specialUseGuessed = true;
    }
    const namespace = _namespaceOf(client, entry.path);
    if (namespace !== "personal") folder.namespace = namespace;
    const status = listed.get(entry.path);
    if (status !== undefined) folder.status = status;
    return folder;
  });
}

/**
 * The namespace (RFC 2342) a path lies in, by the longest prefix the server's NAMESPACE answer names
 * for it; personal when none does (or the server has no NAMESPACE).
 */
function _namespaceOf(client: ImapFlow, path: string): "personal" | "other" | "shared" {
  const spaces = client.namespaces;
  if (spaces === undefined) return "personal";
  let best: { kind: "personal" | "other" | "shared"; length: number } = { kind: "personal", length: -1 };
  for (const kind of ["personal", "other", "shared"] as const) {
    const list = spaces[kind];
    if (list === false || list === undefined) continue;
    for (const space of list) {
      const prefix = space.prefix ?? "";
      if (prefix === "" && kind !== "personal") continue; // an empty shared prefix would claim everything
      if (path.startsWith(prefix) && prefix.length > best.length) best = { kind, length: prefix.length };
    }
  }
  return best.kind;
}

async function* _fetchNew(
  client: ImapFlow,
  folder: string,
  since: SavedFolderState | undefined,
  context: FetchContext,
  where: { host: string; port: number },
  bulkConnection?: () => Promise<BulkConnection | undefined>,
  listedStatus?: FolderStatus,
): AsyncGenerator<SourceEvent, void, undefined> {
  if (listedStatus !== undefined && _unchanged(listedStatus, since, context)) {
    // nothing new, no flag changed, nothing expunged: no SELECT, the saved state stands
    yield { type: "status", status: listedStatus, expected: 0 };
    yield { type: "checkpoint", state: since };
    return;
  }
  const changed: { uid: number; flags: string[] }[] = [];
  const vanished: number[] = [];
  const onFlags = (e: { path: string; uid?: number; flags: Set<string> }) => {
    if (e.path === folder && e.uid !== undefined) changed.push({ uid: e.uid, flags: _flags(e.flags) });
  };
  const onExpunge = (e: { path: string; uid?: number; vanished: boolean }) => {
    if (e.path === folder && e.vanished && e.uid !== undefined) vanished.push(e.uid);
  };
  const qresync = client.enabled.has("QRESYNC") && since?.highestModseq !== undefined;
  let mailbox: Awaited<ReturnType<ImapFlow["mailboxOpen"]>>;
  client.on("flags", onFlags);
  client.on("expunge", onExpunge);
  try {
    mailbox = await client.mailboxOpen(
      folder,
      qresync && since !== undefined
        ? { changedSince: BigInt(since.highestModseq ?? "0"), uidValidity: BigInt(since.uidValidity) }
        : {},
    );
  } catch (error) {
    throw toMailError(whyDropped(client, error), where);
  } finally {
    client.off("flags", onFlags);
    client.off("expunge", onExpunge);
  }

  const uidValidity = _uidValidity(mailbox.uidValidity, folder, where);
  const highestModseq = mailbox.noModseq === true ? undefined : mailbox.highestModseq?.toString();
  const same = since !== undefined && since.uidValidity === uidValidity;
  const lastUid = same ? since.lastUid : 0;
  // RFC 3501 lets SELECT leave UIDNEXT out (Courier does): then it is only an estimate, never a checkpoint
  const reportedUidNext = _positive(mailbox.uidNext);
  let uidNext: number | undefined;
  try {
    uidNext =
      reportedUidNext ??
      (mailbox.exists === 0 ? lastUid + 1 : await _uidNextWithout(client, folder, lastUid));
  } catch (error) {
    throw toMailError(whyDropped(client, error), where);
  }
  const expected = mailbox.exists === 0 ? 0 : Math.max(0, Math.min(mailbox.exists, uidNext - 1 - lastUid));
  yield {
    type: "status",
    status: {
      uidValidity,
      uidNext,
      exists: mailbox.exists,
      ...(highestModseq === undefined ? {} : { highestModseq }),
    },
    expected,
  };
  const key = (uid: number): SourceKey => ({ uidValidity, uid });

  try {
    if (same && lastUid > 0) {
      yield* _flagChanges(client, since, {
        qresync: (mailbox as { qresync?: boolean }).qresync === true,
        changed,
        vanished,
        lastUid,
        highestModseq,
        exists: mailbox.exists,
        key,
      });
      if (context.listStored === true && mailbox.exists > 0) {
        const uids = await client.search({ uid: `1:${lastUid}` }, { uid: true });
        if (Array.isArray(uids) && uids.length > 0) yield { type: "stored", keys: uids.map(key) };
      }
    }
    // the state that covers what is yielded so far: flags are only up to date at the very end
    const previousModseq = same ? since.highestModseq : undefined;
    let seen = lastUid;
    if (mailbox.exists > 0 && uidNext > lastUid + 1) {
      // a large backlog comes through the bulk connection (its own parser); else, or when it cannot
      // be had, through imapflow. No RFC822.SIZE: it is the source's length.
      const bulk =
        bulkConnection !== undefined && expected >= BULK_MIN_MESSAGES
          ? await (await bulkConnection())?.fetch(folder, uidValidity, lastUid + 1)
          : undefined;
      const messages = bulk ?? _viaImapflow(client, lastUid);
      let quietSince = performance.now();
      for await (const message of messages) {
        if (message.uid <= lastUid) continue;
        yield {
          type: "message",
          message: {
            key: key(message.uid),
            flags: message.flags,
            size: message.source.length,
            source: _once(message.source),
            ...(message.internalDate === undefined ? {} : { internalDate: message.internalDate }),
          },
        };
        seen = Math.max(seen, message.uid);
        yield { type: "checkpoint", state: _state(uidValidity, seen, previousModseq) };
        if (context.signal?.aborted === true) return;
        // the imapflow connection waits meanwhile: keep it from timing out
        if (bulk !== undefined && performance.now() - quietSince > _KEEPALIVE_MS) {
          await client.noop();
          quietSince = performance.now();
        }
      }
    }
    // UIDs below the UIDNEXT of SELECT that were not fetched are gone: the next run starts above them.
    // An estimated UIDNEXT (STATUS after SELECT) may count a message this session has not seen: not that
    yield {
      type: "checkpoint",
      state: _state(
        uidValidity,
        reportedUidNext === undefined ? seen : Math.max(seen, reportedUidNext - 1),
        highestModseq,
      ),
    };
  } catch (error) {
    throw toMailError(whyDropped(client, error), where);
  }
}

/**
 * New messages from which on a folder's backlog is read through a bulk connection of its own
 * (`imap-bulk-fetch.ts`) instead of imapflow: above a second login's cost.
 */
export const BULK_MIN_MESSAGES = 1_000;

const _KEEPALIVE_MS = 20_000;

/** A fetched message, whichever way it came. */
interface _Fetched {
  uid: number;
  flags: string[];
  internalDate?: Date;
  source: Uint8Array;
}

async function* _viaImapflow(client: ImapFlow, lastUid: number): AsyncGenerator<_Fetched, void, undefined> {
  const messages = client.fetch(
    `${lastUid + 1}:*`,
    { uid: true, flags: true, internalDate: true, source: true },
    { uid: true },
  );
  for await (const m of messages) {
    if (m.source === undefined) continue;
    const internalDate = m.internalDate === undefined ? undefined : new Date(m.internalDate);
    yield {
      uid: m.uid,
      flags: _flags(m.flags),
      source: m.source,
      ...(internalDate === undefined ? {} : { internalDate }),
    };
  }
}

/** Flag changes and expunges since the saved state, by the best means the server offers. */
async function* _flagChanges(
  client: ImapFlow,
  since: SavedFolderState,
  s: {
    qresync: boolean;
    changed: { uid: number; flags: string[] }[];
    vanished: number[];
    lastUid: number;
    highestModseq: string | undefined;
    exists: number;
    key: (uid: number) => SourceKey;
  },
): AsyncGenerator<SourceEvent, void, undefined> {
  if (s.qresync) {
    // QRESYNC: the SELECT itself reported them
    for (const c of s.changed)
      if (c.uid <= s.lastUid) yield { type: "flags", key: s.key(c.uid), flags: c.flags };
    if (s.vanished.length > 0) yield { type: "vanished", keys: s.vanished.map(s.key) };
    return;
  }
  if (s.exists === 0) return;
  if (s.highestModseq !== undefined && since.highestModseq !== undefined) {
    // CONDSTORE: only what changed, and nothing at all when HIGHESTMODSEQ did not move
    if (s.highestModseq === since.highestModseq) return;
    const changed = client.fetch(
      `1:${s.lastUid}`,
      { uid: true, flags: true },
      { uid: true, changedSince: BigInt(since.highestModseq) },
    );
    for await (const m of changed) yield { type: "flags", key: s.key(m.uid), flags: _flags(m.flags) };
    return;
  }
  // neither: every stored message's flags (the engine keeps only real changes), one bounded UID
  // range per FETCH so that no answer grows with the folder
  for (let first = 1; first <= s.lastUid; first += FLAG_SCAN_RANGE) {
    const last = Math.min(s.lastUid, first + FLAG_SCAN_RANGE - 1);
    for await (const m of client.fetch(`${first}:${last}`, { uid: true, flags: true }, { uid: true })) {
      yield { type: "flags", key: s.key(m.uid), flags: _flags(m.flags) };
    }
  }
}

/** UIDs per FETCH of the flag scan on servers without CONDSTORE. */
export const FLAG_SCAN_RANGE = 5_000;

/**
 * UIDNEXT when SELECT did not report it: STATUS (UIDNEXT), else one past the highest UID (`UID FETCH
 * last+1:* (UID)`, which answers at least the last message). Used for the expected count and to skip
 * the FETCH when nothing is new; never saved as a checkpoint.
 */
async function _uidNextWithout(client: ImapFlow, folder: string, lastUid: number): Promise<number> {
  const status = await client.status(folder, { uidNext: true }).catch(() => false as const);
  const fromStatus = status === false ? undefined : _positive(status.uidNext);
  if (fromStatus !== undefined) return fromStatus;
  let highest = lastUid;
  for await (const m of client.fetch(`${lastUid + 1}:*`, { uid: true }, { uid: true }))
    highest = Math.max(highest, m.uid);
  return highest + 1;
}

/** A positive safe integer, or undefined for a missing, NaN or nonsensical answer. */
function _positive(value: number | bigint | undefined): number | undefined {
  const n = typeof value === "bigint" ? Number(value) : value;
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The folder's UIDVALIDITY, or MAIL_PROTOCOL naming the answer the server left out. */
function _uidValidity(
  value: number | bigint | undefined,
  folder: string,
  where: { host: string; port: number },
): number {
  const uidValidity = _positive(value);
  if (uidValidity === undefined) {
    throw new MailregError(
      "MAIL_PROTOCOL",
      `The server's SELECT of ${JSON.stringify(folder)} did not report a valid UIDVALIDITY (got ${String(value)})`,
      { details: { ...where, folder, missing: "UIDVALIDITY" } },
    );
  }
  return uidValidity;
}

async function _delete(client: ImapFlow, folder: string, keys: readonly SourceKey[]): Promise<number> {
  const uids = await _uidsInOpenFolder(client, folder, keys);
  if (uids.length === 0) return 0;
  const ok = await client.messageDelete(toSequenceSet(uids), { uid: true });
  return ok === false ? 0 : uids.length;
}

async function _move(
  client: ImapFlow,
  folder: string,
  keys: readonly SourceKey[],
  destination: string,
): Promise<number> {
  const uids = await _uidsInOpenFolder(client, folder, keys);
  if (uids.length === 0) return 0;
  const result = await client.messageMove(toSequenceSet(uids), destination, { uid: true });
  return result === false ? 0 : uids.length;
}

/**
 * Selects `folder` when needed and returns the UIDs of `keys` that belong to its current
 * UIDVALIDITY: a key from before a UIDVALIDITY change names another message now, never delete it.
 */
async function _uidsInOpenFolder(
  client: ImapFlow,
  folder: string,
  keys: readonly SourceKey[],
): Promise<number[]> {
  const mailbox =
    client.mailbox !== false && client.mailbox.path === folder
      ? client.mailbox
      : await client.mailboxOpen(folder);
  const uidValidity = Number(mailbox.uidValidity);
  return keys
    .filter((k): k is { uidValidity: number; uid: number } => "uid" in k && k.uidValidity === uidValidity)
    .map((k) => k.uid)
    .sort((a, b) => a - b);
}

/**
 * Whether a folder is as the last run left it: same UIDVALIDITY, no UID assigned since (UIDNEXT),
 * same HIGHESTMODSEQ — which, with QRESYNC, every flag change and every expunge raises (RFC 7162,
 * 3.2.10). Never when the run is to list the stored messages (delete-after-fetch needs the SELECT).
 */
function _unchanged(
  status: FolderStatus,
  since: SavedFolderState | undefined,
  context: FetchContext,
): since is SavedFolderState {
  return (
    since !== undefined &&
    context.listStored !== true &&
    since.highestModseq !== undefined &&
    status.uidValidity === since.uidValidity &&
    status.highestModseq === since.highestModseq &&
    status.uidNext - 1 <= since.lastUid
  );
}

function _state(uidValidity: number, lastUid: number, highestModseq: string | undefined): SavedFolderState {
  if (!Number.isSafeInteger(uidValidity) || !Number.isSafeInteger(lastUid) || lastUid < 0) {
    throw new MailregError(
      "MAIL_PROTOCOL",
      `The server's answers give no usable checkpoint (UIDVALIDITY ${uidValidity}, last UID ${lastUid})`,
      { details: { missing: Number.isSafeInteger(uidValidity) ? "UID" : "UIDVALIDITY" } },
    );
  }
  return highestModseq === undefined ? { uidValidity, lastUid } : { uidValidity, lastUid, highestModseq };
}

/** A message's flags without `\Recent`, which belongs to one session, not to the message. */
function _flags(flags: Set<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f.toLowerCase() !== "\\recent");
}

async function* _once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  yield bytes;
}
