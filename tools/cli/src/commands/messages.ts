/**
 * `mailreg messages list|show|export`: the collected mail of a mailbox — listed newest first
 * (filtered by folder, date and search), one message's metadata, and an export of the raw sources
 * to a Maildir (`--maildir DIR`, Maildir++ subfolders) or an mbox file (`--mbox FILE`, mboxrd) with
 * a progress bar. Raw sources are read from the database in chunks, never whole.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  getMessageDetail,
  listMessages,
  type MessageQuery,
  type MessageSummary,
  readRawChunks,
  type Store,
} from "@mailreg/store";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext, withStore } from "../context.ts";
import { block, emit, table } from "../output.ts";
import { startProgress } from "../progress.ts";
import { UsageError } from "../usage-error.ts";
import { findMailbox } from "./mailboxes.ts";

const _FILTERS = {
  instance: { type: "string" },
  folder: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  search: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  subject: { type: "string" },
} as const;

type _Filters = { [K in keyof typeof _FILTERS]?: string };

function _one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0]!;
}

function _query(mailboxId: string, f: _Filters): MessageQuery {
  const q: MessageQuery = { mailboxId };
  if (f.folder !== undefined) q.folder = f.folder;
  if (f.since !== undefined) q.since = f.since;
  if (f.until !== undefined) q.until = f.until;
  if (f.search !== undefined) q.q = f.search;
  if (f.from !== undefined) q.from = f.from;
  if (f.to !== undefined) q.to = f.to;
  if (f.subject !== undefined) q.subject = f.subject;
  return q;
}

/** Every message a query finds, page by page (stable while new mail arrives). */
async function* _all(store: Store, query: MessageQuery): AsyncGenerator<MessageSummary> {
  let cursor: string | undefined;
  for (;;) {
    const page = await listMessages(store, {
      ...query,
      limit: 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.messages;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

const _fromLine = (m: MessageSummary) =>
  m.from.map((a) => (a.name === undefined ? a.address : `${a.name} <${a.address}>`)).join(", ");

export const messagesListCommand: Command = {
  words: ["messages", "list"],
  summary:
    "List a mailbox's collected messages, newest first (filter by folder, date, sender, subject, words)",
  usage:
    "messages list ADDRESS|ID [--folder F] [--since DATE] [--until DATE] [--search WORDS] [--from W] [--to W] [--subject W] [--limit N] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ..._FILTERS, limit: { type: "string" } });
    const ref = _one(positionals, "mailbox id or address");
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer");
    const { config } = await configContext(io, values.config);
    const rows = await withStore(config, async (store) => {
      const mailbox = await findMailbox(store, ref, values.instance);
      const out: MessageSummary[] = [];
      for await (const m of _all(store, _query(mailbox.id, values))) {
        out.push(m);
        if (out.length >= limit) break;
      }
      return out;
    });
    emit(io, values.json, rows, () =>
      rows.length === 0
        ? "no messages\n"
        : table(
            rows.map((m) => ({ ...m, from: _fromLine(m), raw: m.rawPurged ? "purged" : "" })),
            [
              ["receivedAt", "RECEIVED"],
              ["folder", "FOLDER"],
              ["from", "FROM"],
              ["subject", "SUBJECT"],
              ["size", "SIZE"],
              ["id", "ID"],
              ["raw", "RAW"],
            ],
          ),
    );
    return 0;
  },
};

export const messagesShowCommand: Command = {
  words: ["messages", "show"],
  summary: "Show one collected message: envelope, folder, flags, size, received-at and the sinks it went to",
  usage: "messages show MESSAGE-ID [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {});
    const id = _one(positionals, "message id");
    const { config } = await configContext(io, values.config);
    const m = await withStore(config, (store) => getMessageDetail(store, id));
    const list = (a: { name?: string; address: string }[]) =>
      a.length === 0
        ? undefined
        : a.map((x) => (x.name === undefined ? x.address : `${x.name} <${x.address}>`)).join(", ");
    emit(io, values.json, m, () =>
      block([
        ["id", m.id],
        ["mailbox", m.mailboxId],
        ["folder", m.folder],
        ["subject", m.subject],
        ["from", list(m.envelope.from)],
        ["to", list(m.envelope.to)],
        ["cc", list(m.envelope.cc)],
        ["date", m.date ?? undefined],
        ["received", m.receivedAt],
        ["stored", m.storedAt],
        ["size", `${m.size} bytes`],
        ["flags", m.flags.join(" ")],
        ["message-id", m.messageId ?? undefined],
        ["raw", m.rawPurgedAt === null ? "stored" : `removed by retention on ${m.rawPurgedAt}`],
        ["sinks", m.sinks.length === 0 ? "none" : m.sinks.map((s) => `${s.sink}=${s.state}`).join(", ")],
      ]),
    );
    return 0;
  },
};

export const messagesExportCommand: Command = {
  words: ["messages", "export"],
  summary: "Export a mailbox's collected messages to a Maildir or an mbox file, with a progress bar",
  usage:
    "messages export ADDRESS|ID (--maildir DIR | --mbox FILE) [--folder F] [--since DATE] [--until DATE] [--search WORDS] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ..._FILTERS,
      maildir: { type: "string" },
      mbox: { type: "string" },
    });
    const ref = _one(positionals, "mailbox id or address");
    if ((values.maildir === undefined) === (values.mbox === undefined)) {
      throw new UsageError("give exactly one of --maildir DIR and --mbox FILE");
    }
    const { config } = await configContext(io, values.config);
    const result = await withStore(config, async (store) => {
      const mailbox = await findMailbox(store, ref, values.instance);
      const query = _query(mailbox.id, values);
      const selected: MessageSummary[] = [];
      for await (const m of _all(store, query)) selected.push(m);
      const target =
        values.maildir !== undefined
          ? _maildirWriter(resolve(io.cwd, values.maildir))
          : _mboxWriter(resolve(io.cwd, values.mbox!));
      const bar = startProgress(io, "export", selected.length, "messages");
      let exported = 0;
      let bytes = 0;
      const skipped: string[] = [];
      try {
        // oldest first, as mail arrives, so an mbox reads in order
        for (const m of selected.reverse()) {
          if (m.rawPurged) {
            skipped.push(m.id);
          } else {
            bytes += await target.write(m, (await readRawChunks(store, m.id)).chunks);
            exported++;
          }
          bar.update(exported + skipped.length);
        }
      } finally {
        bar.stop();
        target.close();
      }
      return {
        mailbox: mailbox.address,
        target: target.path,
        format: target.format,
        exported,
        bytes,
        skipped,
      };
    });
    emit(io, values.json, result, () =>
      block([
        ["mailbox", result.mailbox],
        [result.format, result.target],
        ["exported", `${result.exported} messages (${result.bytes} bytes)`],
        [
          "skipped",
          result.skipped.length === 0
            ? undefined
            : `${result.skipped.length} (raw source removed by retention)`,
        ],
      ]),
    );
    return 0;
  },
};

interface _Writer {
  format: "maildir" | "mbox";
  path: string;
  /** Writes one message from its chunks; returns the bytes written. */
  write(m: MessageSummary, chunks: AsyncIterable<Uint8Array>): Promise<number>;
  close(): void;
}

const _MAILDIR_FLAGS: Readonly<Record<string, string>> = {
  "\\Draft": "D",
  "\\Flagged": "F",
  "\\Answered": "R",
  "\\Seen": "S",
  "\\Deleted": "T",
};

/** A Maildir++ tree: INBOX at the top, every other folder as `.Name.Sub` (dots in names as `_`). */
function _maildirWriter(root: string): _Writer {
  const made = new Set<string>();
  let sequence = 0;
  const dirOf = (folder: string) => {
    const dir =
      folder.toUpperCase() === "INBOX"
        ? root
        : join(root, `.${folder.replaceAll(".", "_").replace(/[/\\]/g, ".").replace(/^\.+/, "")}`);
    if (!made.has(dir)) {
      for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
      made.add(dir);
    }
    return dir;
  };
  return {
    format: "maildir",
    path: root,
    async write(m, chunks) {
      const dir = dirOf(m.folder);
      const flags = m.flags
        .map((f) => _MAILDIR_FLAGS[f] ?? "")
        .sort()
        .join("");
      const name = `${Math.floor(Date.parse(m.receivedAt) / 1000) || 0}.M${sequence++}P${process.pid}.${m.id}`;
      const tmp = join(dir, "tmp", name);
      const fd = openSync(tmp, "wx", 0o600);
      let n = 0;
      try {
        for await (const chunk of chunks) n += writeSync(fd, chunk);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(dir, "cur", `${name},S=${n}:2,${flags}`));
      return n;
    },
    close() {},
  };
}

/**
 * An mboxrd file: each message after a `From ` line, its lines ending in LF, every line that starts
 * with `>*From ` quoted with one more `>`, a blank line after it.
 */
function _mboxWriter(file: string): _Writer {
  const fd = openSync(file, "w", 0o600);
  return {
    format: "mbox",
    path: file,
    async write(m, chunks) {
      const sender = (m.from[0]?.address ?? "MAILER-DAEMON").replace(/\s/g, "") || "MAILER-DAEMON";
      const date = new Date(Date.parse(m.receivedAt) || 0)
        .toUTCString()
        .replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, "$1 $3 $2 $5 $4");
      let n = writeSync(fd, `From ${sender} ${date}\n`);
      let carry = "";
      const emit = (line: string) => {
        n += writeSync(fd, Buffer.from(`${/^>*From /.test(line) ? ">" : ""}${line}\n`, "latin1"));
      };
      for await (const chunk of chunks) {
        // latin1 maps each byte to one character and back: the bytes pass unchanged
        const text = carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
        const lines = text.split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) emit(line.endsWith("\r") ? line.slice(0, -1) : line);
      }
      if (carry !== "") emit(carry.endsWith("\r") ? carry.slice(0, -1) : carry);
      n += writeSync(fd, "\n");
      return n;
    },
    close() {
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}
