/**
 * The mbox sink: every new message appended to an mbox file in the mboxrd format, which mutt,
 * `mail`, Thunderbird's import and Dovecot's mbox driver read: a `From ` line (envelope sender and
 * arrival time) before each message, body lines that start with `From ` or `>From ` quoted with one
 * more `>`, LF line ends, an empty line after each message. The file is created 0600 (its folder
 * 0700): collected mail is for the service only.
 *
 * Config: `{ "kind": "mbox", "path": "/var/mail-export/{mailbox}.mbox" }`; `{mailbox}` in the path
 * becomes the mailbox's id (a file per mailbox), without it every mailbox goes to the one file.
 *
 * Idempotent by key: each message gets an `X-Mailreg-Key` header line naming its mailbox, folder and
 * UID (or UIDL); a key already in the file (read once per file and sink) is not appended again, so a
 * run that delivers its last chunk again adds nothing. Writes to a file are serialised in this
 * process; with several worker processes, give each mailbox its own file (`{mailbox}`). The file is
 * an archive: flag changes and expunges on the server leave it as it is.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createReadStream } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { defineSink, type SinkConnector } from "./connector.ts";
import type { MessageKey, Sink, SinkMessage } from "./sink.ts";

/** Options of {@link createMboxSink}. */
export interface MboxSinkOptions {
  /** The mbox file; `{mailbox}` in it becomes the mailbox's id. */
  path: string;
}

const _KEY_HEADER = "X-Mailreg-Key";
const _DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const _MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Appends in flight per file, so two sinks (or mailboxes) on one file never interleave. */
const _queues = new Map<string, Promise<unknown>>();

/**
 * A sink appending each new message to an mbox file.
 *
 * @param options the file (with `{mailbox}` for a file per mailbox)
 * @returns the sink
 * @example
 * ```ts
 * import { createSink } from "@mailreg/imap-sync";
 * const mbox = createSink({ kind: "mbox", path: "./export/{mailbox}.mbox" }, "archive");
 * console.log(mbox.kind, mbox.id); // mbox archive
 * ```
 */
export function createMboxSink(options: MboxSinkOptions): Sink {
  /** file → the keys it holds, read from the file once. */
  const indexes = new Map<string, Promise<Set<string>>>();
  return {
    kind: "mbox",
    id: `mbox:${options.path}`,
    async store(message, key) {
      const file = options.path.replaceAll("{mailbox}", key.mailboxId);
      const text = _keyText(key);
      await _serial(file, async () => {
        let index = indexes.get(file);
        if (index === undefined) {
          index = _readKeys(file);
          indexes.set(file, index);
        }
        const keys = await index;
        if (keys.has(text)) return;
        await _append(file, _entry(message, text));
        keys.add(text);
      });
      return undefined;
    },
  };
}

/** The mbox sink as a config names it: `{ "kind": "mbox", "path": "/var/mail-export/{mailbox}.mbox" }`. */
export const mboxSink: SinkConnector = defineSink({
  kind: "mbox",
  label: "mbox file",
  options: z.strictObject({
    path: z
      .string()
      .min(1)
      .describe("The mbox file new messages are appended to; {mailbox} in it becomes the mailbox's id"),
  }),
  create: (options) => createMboxSink(options),
});

function _serial(file: string, work: () => Promise<void>): Promise<void> {
  const next = (_queues.get(file) ?? Promise.resolve()).then(work, work);
  const settled = next.catch(() => undefined);
  _queues.set(file, settled);
  void settled.then(() => {
    if (_queues.get(file) === settled) _queues.delete(file);
  });
  return next;
}

function _keyText(key: MessageKey): string {
  const where = `${encodeURIComponent(key.mailboxId)} ${encodeURIComponent(key.folder)}`;
  return "uid" in key
    ? `${where} ${key.uidValidity}:${key.uid}`
    : `${where} uidl:${encodeURIComponent(key.uidl)}`;
}

/** The keys of the messages the file holds: the key header right after each `From ` line. */
async function _readKeys(file: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const input = createReadStream(file, { encoding: "latin1" });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let afterFrom = false;
  try {
    for await (const line of lines) {
      if (afterFrom && line.startsWith(`${_KEY_HEADER}: `)) keys.add(line.slice(_KEY_HEADER.length + 2));
      afterFrom = line.startsWith("From ");
    }
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  }
  return keys;
}

/** The message as one mboxrd entry: From line, key header, quoted message with LF ends, empty line. */
function _entry(message: SinkMessage, key: string): Uint8Array {
  const body = Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength)
    .toString("latin1")
    .replace(/\r\n/g, "\n")
    .replace(/^(>*From )/gm, ">$1");
  const sender = (message.envelope.sender[0] ?? message.envelope.from[0])?.address.replace(/\s/g, "");
  const from = `From ${sender || "MAILER-DAEMON"} ${_asctime(message.internalDate ?? new Date())}`;
  const end = body.endsWith("\n") ? "\n" : "\n\n";
  return Buffer.from(`${from}\n${_KEY_HEADER}: ${key}\n${body}${end}`, "latin1");
}

function _asctime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const day = String(d.getUTCDate()).padStart(2, " ");
  return `${_DAYS[d.getUTCDay()]} ${_MONTHS[d.getUTCMonth()]} ${day} ${time} ${d.getUTCFullYear()}`;
}

/** Appends an entry durably, after an empty line if an earlier write was cut short. */
async function _append(file: string, entry: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, "a+", 0o600);
  try {
    await handle.chmod(0o600);
    const { size } = await handle.stat();
    let lead = "";
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(2, size));
      await handle.read(tail, 0, tail.length, size - tail.length);
      const text = tail.toString("latin1");
      lead =
        text.endsWith("\n\n") || (size === 1 && text === "\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
    }
    await handle.writeFile(lead === "" ? entry : Buffer.concat([Buffer.from(lead), entry]));
    await handle.sync();
  } finally {
    await handle.close();
  }
}
