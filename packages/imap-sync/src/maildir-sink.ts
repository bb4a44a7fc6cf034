/**
 * The Maildir export sink: each mailbox as a Maildir++ tree (INBOX at its root, `.Firma.Vertrieb`
 * for "Firma/Vertrieb" whatever the server's delimiter), each message written to `tmp/`, synced and
 * renamed into `cur/` with its flags in the name, so a mail client or Dovecot can read the export.
 *
 * Idempotent by key: the file name carries the key (`<time>.M<uidvalidity>U<uid>.mailreg` for IMAP,
 * `<time>.P<hash of the UIDL>.mailreg` for POP3); a second delivery of the same key is a no-op, and a
 * flag change renames the file.
 *
 * @module
 */
import { mkdir, open, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { defineSink, type SinkConnector } from "./connector.ts";
import type { MessageKey, Sink } from "./sink.ts";

/** Options of {@link createMaildirSink}. */
export interface MaildirSinkOptions {
  /** The export's root directory; each mailbox gets a Maildir under it. */
  root: string;
  /** The directory name of a mailbox under `root`. Default: the mailbox id. */
  mailboxDir?: (mailboxId: string) => string;
}

const _FLAG_LETTERS: Readonly<Record<string, string>> = {
  "\\Draft": "D",
  "\\Flagged": "F",
  "\\Answered": "R",
  "\\Seen": "S",
  "\\Deleted": "T",
};

/**
 * A sink writing a Maildir++ export.
 *
 * @param options the root directory and how mailboxes are named under it
 * @returns the sink
 * @example
 * ```ts
 * import { createMaildirSink } from "@mailreg/imap-sync";
 * const maildir = createMaildirSink({ root: "./export" });
 * // syncMailbox(mailbox, { state, sinks: [maildir] });
 * ```
 */
export function createMaildirSink(options: MaildirSinkOptions): Sink {
  /** cur/ directory → (key part of a file name → the file's current name), read once per directory. */
  const indexes = new Map<string, Promise<Map<string, string>>>();
  const dirOf = (key: MessageKey, delimiter: string | null): string =>
    join(
      options.root,
      options.mailboxDir?.(key.mailboxId) ?? key.mailboxId,
      maildirFolder(key.folder, delimiter),
    );
  const indexOf = (cur: string): Promise<Map<string, string>> => {
    let index = indexes.get(cur);
    if (index === undefined) {
      index = _readIndex(cur);
      indexes.set(cur, index);
    }
    return index;
  };
  /** Delimiters seen per folder, for flag changes (which come without a message). */
  const delimiters = new Map<string, string | null>();

  return {
    kind: "maildir",
    id: `maildir:${options.root}`,
    async store(message, key) {
      delimiters.set(`${key.mailboxId}\0${key.folder}`, message.delimiter);
      const dir = dirOf(key, message.delimiter);
      const cur = join(dir, "cur");
      const index = await indexOf(cur);
      const base = await _baseName(key, message.internalDate);
      if (index.has(base)) return;
      // mail is for the service only: folders 0700, files 0600 (whatever the umask allows more)
      for (const sub of ["cur", "new", "tmp"]) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
      const name = `${base},S=${message.raw.length}:2,${_flagLetters(message.flags)}`;
      const tmp = join(dir, "tmp", name);
      const file = await open(tmp, "w", 0o600);
      try {
        await file.writeFile(message.raw);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, join(cur, name));
      index.set(base, name);
    },
    async flagsChanged(key, flags) {
      const cur = join(dirOf(key, delimiters.get(`${key.mailboxId}\0${key.folder}`) ?? null), "cur");
      const index = await indexOf(cur);
      const prefix = "uid" in key ? `.M${key.uidValidity}U${key.uid}.mailreg` : undefined;
      const base = prefix === undefined ? undefined : [...index.keys()].find((b) => b.endsWith(prefix));
      const current = base === undefined ? undefined : index.get(base);
      if (base === undefined || current === undefined) return;
      const next = `${current.slice(0, current.lastIndexOf(":2,") + 3)}${_flagLetters(flags)}`;
      if (next === current) return;
      await rename(join(cur, current), join(cur, next));
      index.set(base, next);
    },
  };
}

/** The Maildir sink as a config names it: `{ "kind": "maildir", "root": "/var/mail-export" }`. */
export const maildirSink: SinkConnector = defineSink({
  kind: "maildir",
  label: "Maildir",
  options: z.strictObject({
    root: z.string().min(1).describe("The export's root directory; each mailbox gets a Maildir under it"),
  }),
  create: (options) => createMaildirSink(options),
});

/**
 * The Maildir++ directory of a folder: "" for INBOX, `.A.B` for A/B (a '.' inside a name becomes '_').
 *
 * @param folder the server's folder path
 * @param delimiter the server's delimiter
 * @returns the directory, relative to the mailbox's Maildir
 */
export function maildirFolder(folder: string, delimiter: string | null): string {
  const parts = delimiter === null ? [folder] : folder.split(delimiter);
  if (parts[0]?.toUpperCase() === "INBOX") parts.shift();
  if (parts.length === 0) return "";
  return `.${parts.map((p) => p.replace(/[./\\]/g, "_")).join(".")}`;
}

async function _readIndex(cur: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  let names: string[] = [];
  try {
    names = await readdir(cur);
  } catch {
    // not written yet
  }
  for (const name of names) {
    const base = name.split(",S=", 1)[0]!.split(":2,", 1)[0]!;
    index.set(base, name);
  }
  return index;
}

async function _baseName(key: MessageKey, internalDate: Date | undefined): Promise<string> {
  const seconds = Math.floor((internalDate?.getTime() ?? 0) / 1000);
  if ("uid" in key) return `${seconds}.M${key.uidValidity}U${key.uid}.mailreg`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key.uidl)));
  const hex = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${seconds}.P${hex}.mailreg`;
}

function _flagLetters(flags: readonly string[]): string {
  return flags
    .map((f) => _FLAG_LETTERS[f] ?? "")
    .filter((l) => l !== "")
    .sort()
    .join("");
}
