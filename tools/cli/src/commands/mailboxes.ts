/**
 * `mailreg mailboxes list|check|sync`: the applied mailboxes with their collection state, "check
 * mailbox" (log in, list folders, each step timed) and one collection run in the foreground with a
 * progress bar. A mailbox is named by its id or its address (`--instance` when the address is in
 * several instances).
 *
 * @module
 */
import { type Logger, MailregError, normalizeAddress } from "@mailreg/core";
import {
  getMailbox,
  listMailboxes,
  listMailboxSchedules,
  type Mailbox,
  nextSyncDue,
  type Store,
  storeMailboxDirectory,
} from "@mailreg/store";
import { checkMailboxOf, syncMailboxOnce } from "@mailreg/worker";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext, keyringFor, withStore } from "../context.ts";
import type { Io } from "../io.ts";
import { block, emit, table } from "../output.ts";
import { type Progress, startProgress } from "../progress.ts";
import { checkMailboxSending } from "../sending-check.ts";
import { UsageError } from "../usage-error.ts";

/** The mailbox named by `ref` (an id, or an address in one instance). */
export async function findMailbox(
  store: Store,
  ref: string,
  instanceId: string | undefined,
): Promise<Mailbox> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) {
    return await getMailbox(store, ref.toLowerCase());
  }
  let address = ref.trim();
  try {
    address = normalizeAddress(address);
  } catch {
    // not an address: nothing will match, and the error says so
  }
  // by address key: `Ann@` finds `ann@` unless the instance compares case-sensitively
  const found = await storeMailboxDirectory(store).findByAddress(
    address,
    instanceId === undefined ? {} : { instanceId },
  );
  if (found.length === 0) {
    throw new MailregError("NOT_FOUND", `No mailbox has the id or address ${ref}`, { details: { ref } });
  }
  if (found.length > 1) {
    throw new UsageError(
      `${address} is a mailbox in several instances (${found.map((m) => m.instanceId).join(", ")}): pass --instance or the id`,
    );
  }
  return found[0]!;
}

function _one(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError("expected exactly one mailbox id or address");
  return positionals[0]!;
}

export const mailboxesListCommand: Command = {
  words: ["mailboxes", "list"],
  summary: "List the applied mailboxes with their collection state and when they are due",
  usage: "mailboxes list [--instance X] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, { instance: { type: "string" } });
    const { config } = await configContext(io, values.config);
    const rows = await withStore(config, async (store) => {
      const mailboxes = await listMailboxes(
        store,
        values.instance === undefined ? {} : { instanceId: values.instance },
      );
      const schedules = new Map(
        (await listMailboxSchedules(store, { defaultIntervalSeconds: config.worker.intervalSeconds })).map(
          (s) => [s.mailboxId, s],
        ),
      );
      const now = new Date();
      return mailboxes.map((m) => {
        const s = schedules.get(m.id)!;
        return {
          id: m.id,
          address: m.address,
          instanceId: m.instanceId,
          protocol: m.protocol,
          host: m.host,
          port: m.port,
          security: m.security,
          template: m.template,
          deleteAfterFetch: m.deleteAfterFetch,
          autoFetch: s.autoFetch,
          intervalSeconds: s.intervalSeconds,
          lastRun: s.lastRun ?? null,
          lastOkAt: s.lastOkAt ?? null,
          consecutiveFailures: s.consecutiveFailures,
          requestedAt: s.requestedAt ?? null,
          next: nextSyncDue(s, now),
        };
      });
    });
    emit(io, values.json, rows, () =>
      rows.length === 0
        ? "no mailboxes\n"
        : table(
            rows.map((r) => ({
              ...r,
              server: `${r.protocol} ${r.host}:${r.port}`,
              schedule: r.autoFetch ? `every ${r.intervalSeconds} s` : "off",
              status: r.lastRun?.status ?? "never",
              fetched: r.lastRun?.fetched,
              error: r.lastRun?.errorCode,
              due: r.next.at === null ? r.next.reason : `${r.next.at} (${r.next.reason})`,
            })),
            [
              ["id", "ID"],
              ["address", "ADDRESS"],
              ["instanceId", "INSTANCE"],
              ["server", "SERVER"],
              ["schedule", "SCHEDULE"],
              ["status", "LAST RUN"],
              ["fetched", "FETCHED"],
              ["error", "ERROR"],
              ["due", "NEXT"],
            ],
          ),
    );
    return 0;
  },
};

export const mailboxesCheckCommand: Command = {
  words: ["mailboxes", "check"],
  summary:
    "Check a mailbox: reach its server, log in, list its folders; with --to, also send a test mail (each step timed)",
  usage: "mailboxes check ADDRESS|ID [--to RECIPIENT] [--instance X] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { instance: { type: "string" }, to: { type: "string" } });
    const to = values.to === undefined ? undefined : normalizeAddress(values.to);
    const ref = _one(positionals);
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const mailbox = await withStore(config, (store) => findMailbox(store, ref, values.instance));
    const result = await checkMailboxOf({ config, keyring }, mailbox);
    const sending = to === undefined ? undefined : await checkMailboxSending(config, keyring, mailbox, to);
    const out = {
      mailboxId: mailbox.id,
      address: mailbox.address,
      ...result,
      ...(sending === undefined ? {} : { sending }),
    };
    emit(io, values.json, out, () => {
      const steps = result.steps.map((s) =>
        `${s.ok ? "ok  " : "FAIL"} ${s.step.padEnd(7)} ${String(s.ms).padStart(5)} ms  ${
          s.ok ? (s.detail ?? "") : `${s.reason}: ${s.message ?? ""}`
        }`.trimEnd(),
      );
      const folders = result.folders.map(
        (f) => `  ${f.path}${f.specialUse === undefined ? "" : `  ${f.specialUse}`}`,
      );
      const sent =
        sending === undefined
          ? ""
          : `sending to ${to}:\n${sending.steps
              .map((s) =>
                `${s.ok ? "ok  " : "FAIL"} ${s.step.padEnd(7)} ${String(s.ms).padStart(5)} ms  ${
                  s.ok ? s.detail : `${s.error?.code ?? ""}: ${s.error?.message ?? s.detail}`
                }`.trimEnd(),
              )
              .join("\n")}\n`;
      return `${mailbox.address} (${mailbox.host}:${mailbox.port})\n${steps.join("\n")}\n${
        folders.length > 0 ? `folders:\n${folders.join("\n")}\n` : ""
      }${sent}`;
    });
    return result.ok && (sending === undefined || sending.ok) ? 0 : 1;
  },
};

export const mailboxesSyncCommand: Command = {
  words: ["mailboxes", "sync"],
  summary:
    "Collect one mailbox now, in the foreground, with a progress bar (SIGINT stops after the current chunk)",
  usage: "mailboxes sync ADDRESS|ID [--instance X] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { instance: { type: "string" } });
    const ref = _one(positionals);
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const stop = new AbortController();
    void io.untilStopped().then((signal) => {
      if (stop.signal.aborted) return;
      io.err(`${signal}: stopping after the current chunk\n`);
      stop.abort();
    });
    const quiet: Logger = { info() {}, warn: _toStderr(io, "warn"), error: _toStderr(io, "error") };
    try {
      return await withStore(config, async (store) => {
        const mailbox = await findMailbox(store, ref, values.instance);
        let bar: Progress | undefined;
        let folder: string | undefined;
        const result = await syncMailboxOnce({ config, store, keyring, logger: quiet }, mailbox.id, {
          signal: stop.signal,
          onProgress: (p) => {
            if (p.folder !== folder) {
              bar?.stop();
              folder = p.folder;
              bar = startProgress(io, p.folder, p.expected, "messages");
            }
            bar?.update(p.fetched);
          },
        });
        bar?.stop();
        if (!result.ok) {
          throw new MailregError(
            result.reason === "gone" ? "NOT_FOUND" : "CONFLICT",
            result.reason === "gone"
              ? `Mailbox ${mailbox.address} no longer exists`
              : `Mailbox ${mailbox.address} is being collected right now${result.reason === "busy" && result.owner !== undefined ? ` by ${result.owner}` : ""}: try again when it finishes`,
          );
        }
        const s = result.summary;
        emit(io, values.json, { address: mailbox.address, ...s }, () =>
          block([
            ["mailbox", `${mailbox.address} (${mailbox.id})`],
            ["status", s.aborted ? `${s.status} (stopped early)` : s.status],
            ["fetched", `${s.fetched} new (${s.bytes} bytes)`],
            ["deleted", s.deleted],
            ["flags", `${s.flagsChanged} changed`],
            ["folders", s.folders.map((f) => `${f.path} +${f.fetched}`).join(", ")],
            ["time", `${s.durationMs} ms`],
            ["error", s.error === undefined ? undefined : `[${s.error.code}] ${s.error.message}`],
          ]),
        );
        return s.status === "ok" ? 0 : 1;
      });
    } finally {
      stop.abort();
    }
  },
};

function _toStderr(io: Io, level: string) {
  return (message: string, fields: Record<string, unknown> = {}) =>
    io.err(`${level}: ${message} ${JSON.stringify(fields)}\n`);
}
