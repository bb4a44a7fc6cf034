/**
 * Filling mailboxes fast: messages written straight into a user's maildir (Dovecot indexes them on
 * the next SELECT), folders created and subscribed through doveadm, and IMAP APPEND for the few
 * cases where going through the server matters.
 *
 * @module
 */
import { chownSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import type { DovecotHandle } from "./dovecot.ts";
import { MAIL_UID } from "./dovecot.ts";
import type { GeneratedMessage } from "./messages.ts";

/** Numbers the maildir files of this process: two seedings of one folder never share a file name. */
let _sequence = 0;

/** What {@link seedMaildir} and {@link createFolders} need of a Dovecot handle. */
export type SeedTarget = Pick<DovecotHandle, "doveadm" | "separator">;

/** What seeding did. */
export interface SeedResult {
  count: number;
  /** Bytes written (CRLF form, as RFC822.SIZE counts). */
  bytes: number;
  /** The folder's maildir. */
  path: string;
  elapsedMs: number;
  messagesPerSecond: number;
}

/**
 * Creates folders (and their parents) and subscribes them; existing ones are left as they are.
 * Names use the server's separator (`dovecot.separator`).
 *
 * @param dovecot the server
 * @param user the owner
 * @param folders e.g. ["Firma/Kundenbetreuung/kunden/a"] with separator '/'
 * @returns the folders that were created
 */
export async function createFolders(
  dovecot: SeedTarget,
  user: string,
  folders: readonly string[],
): Promise<string[]> {
  const existing = new Set((await dovecot.doveadm(["mailbox", "list", "-u", user])).split("\n"));
  const wanted = new Set<string>();
  for (const folder of folders) {
    const parts = folder.split(dovecot.separator);
    for (let i = 1; i <= parts.length; i++) wanted.add(parts.slice(0, i).join(dovecot.separator));
  }
  const missing = [...wanted].filter((folder) => !existing.has(folder) && folder.toUpperCase() !== "INBOX");
  if (missing.length > 0) await dovecot.doveadm(["mailbox", "create", "-s", "-u", user, ...missing]);
  return missing;
}

/**
 * Writes messages as maildir files into a user's folder (creating and subscribing it when needed):
 * named `<time>.M<n>P<pid>.mailreg,S=<size>,W=<CRLF size>:2,<flags>` in cur/, stored with LF line ends
 * as Dovecot does, owned by the mail user, with mtime = INTERNALDATE. Far faster than IMAP APPEND.
 *
 * @param dovecot the server
 * @param user the owner
 * @param folder the folder ("INBOX" or a name with the server's separator)
 * @param messages what to write, e.g. `generateMessages({ count: 10_000 })`
 * @returns count, bytes, path and speed
 * @example
 * ```ts
 * await seedMaildir(dovecot, "alice", "INBOX", generateMessages({ count: 1_000, seed: 42 }));
 * ```
 */
export async function seedMaildir(
  dovecot: SeedTarget,
  user: string,
  folder: string,
  messages: Iterable<GeneratedMessage>,
): Promise<SeedResult> {
  const started = performance.now();
  if (folder.toUpperCase() !== "INBOX") await createFolders(dovecot, user, [folder]);
  const path = (await dovecot.doveadm(["mailbox", "path", "-u", user, folder])).trim();
  _ensureMaildir(path);
  const cur = join(path, "cur");
  let count = 0;
  let bytes = 0;
  for (const message of messages) {
    const stored = message.raw.replaceAll("\r\n", "\n");
    const seconds = Math.floor(message.internalDate.getTime() / 1000);
    const name =
      `${seconds}.M${_sequence++}P${process.pid}.mailreg,S=${Buffer.byteLength(stored)},W=${message.size}` +
      `:2,${_maildirFlags(message.flags)}`;
    const file = join(cur, name);
    writeFileSync(file, stored);
    chownSync(file, MAIL_UID, MAIL_UID);
    utimesSync(file, message.internalDate, message.internalDate);
    count++;
    bytes += message.size;
  }
  const elapsedMs = performance.now() - started;
  return { count, bytes, path, elapsedMs, messagesPerSecond: Math.round(count / (elapsedMs / 1000)) };
}

/** Where and as whom {@link appendViaImap} logs in. */
export interface ImapLogin {
  host: string;
  /** The STARTTLS port (`imapPort`). */
  port: number;
  /** The certificate to trust. */
  caPem: string;
  servername?: string;
  user: string;
  password: string;
}

/**
 * Appends messages through IMAP (STARTTLS), one APPEND each, with their flags and INTERNALDATE
 * (~200 messages/s; Dovecot assigns UIDs and updates MODSEQ as for real deliveries).
 *
 * @param login server and credentials
 * @param folder the target folder (must exist)
 * @param messages what to append
 * @returns the UIDs Dovecot assigned
 */
export async function appendViaImap(
  login: ImapLogin,
  folder: string,
  messages: Iterable<GeneratedMessage>,
): Promise<number[]> {
  const client = new ImapFlow({
    host: login.host,
    port: login.port,
    secure: false,
    tls: { ca: login.caPem, servername: login.servername ?? "localhost" },
    auth: { user: login.user, pass: login.password },
    logger: false,
  });
  await client.connect();
  try {
    const uids: number[] = [];
    for (const message of messages) {
      const result = await client.append(folder, message.raw, message.flags, message.internalDate);
      if (result !== false && result.uid !== undefined) uids.push(result.uid);
    }
    return uids;
  } finally {
    await client.logout();
  }
}

/** cur/, new/, tmp/ for a maildir (and the maildir itself), owned by the mail user. */
function _ensureMaildir(path: string): void {
  for (const dir of [path, join(path, "cur"), join(path, "new"), join(path, "tmp")]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, MAIL_UID, MAIL_UID);
  }
}

const MAILDIR_FLAGS: Readonly<Record<string, string>> = {
  "\\Draft": "D",
  "\\Flagged": "F",
  "\\Answered": "R",
  "\\Seen": "S",
  "\\Deleted": "T",
};

/** IMAP system flags as maildir info letters, in ASCII order as the spec requires. */
function _maildirFlags(flags: readonly string[]): string {
  return flags
    .map((flag) => MAILDIR_FLAGS[flag] ?? "")
    .sort()
    .join("");
}
