/**
 * mailreg and the bare imapflow FETCH as processes of their own, so that the peers benchmark
 * measures their wall time and peak RSS exactly as it does for mbsync or fetchmail. Takes one JSON
 * argument and prints one JSON line:
 *
 * - `{"mode":"mailreg","dbUrl","keys":{publicKeyFile,privateKeyDir},"mailboxId","folders":"inbox"|"all"}`:
 *   one `syncMailbox` run into the store → `{status, fetched, bytes, stored, durationMs, error?}`
 * - `{"mode":"imapflow-fetch","host","port","user","password","folders":["INBOX",…]}`: `FETCH 1:*
 *   (UID BODY.PEEK[])` of each folder → `{count, bytes}`
 *
 * @module
 */
import process from "node:process";
import { loadKeyring } from "@mailreg/crypto-registry";
import { syncMailbox } from "@mailreg/imap-sync";
import { countMessages, listMailboxes, openStore, storeSyncState } from "@mailreg/store";
import { ImapFlow } from "imapflow";

interface _MailregJob {
  mode: "mailreg";
  dbUrl: string;
  keys: { publicKeyFile: string; privateKeyDir: string };
  mailboxId: string;
  folders: "inbox" | "all";
  /** Runs the sync this many times in the process (default 1); `runsMs` has each run's time. */
  repeat?: number;
}

interface _FetchJob {
  mode: "imapflow-fetch";
  host: string;
  port: number;
  user: string;
  password: string;
  folders: string[];
}

/** Node's start-up and loading the modules above, ms (module bodies run after their imports). */
const _startedMs = Math.round(process.uptime() * 1000);
const job = JSON.parse(process.argv[2] ?? "{}") as _MailregJob | _FetchJob;
const out = job.mode === "mailreg" ? await _mailreg(job) : await _fetch(job);
process.stdout.write(`${JSON.stringify(out)}\n`);

async function _mailreg(j: _MailregJob): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const keyring = await loadKeyring(j.keys);
  const store = await openStore({ url: j.dbUrl });
  const phases: Record<string, number> = { startMs: _startedMs, openMs: Math.round(performance.now() - t0) };
  let closed = false;
  try {
    const mailbox = (await listMailboxes(store)).find((m) => m.id === j.mailboxId);
    if (mailbox === undefined) throw new Error(`no mailbox ${j.mailboxId}`);
    const runsMs: number[] = [];
    let summary: Awaited<ReturnType<typeof syncMailbox>> | undefined;
    let fetched = 0;
    for (let i = 0; i < Math.max(1, j.repeat ?? 1); i++) {
      const run = await syncMailbox(mailbox, {
        state: storeSyncState(store),
        keyring,
        folderPolicy: { mode: j.folders, folders: [], includeSubfolders: true, exclude: [] },
      });
      runsMs.push(run.durationMs);
      fetched += run.fetched;
      // the first failure is the one reported
      if (summary === undefined || summary.status === "ok") summary = run;
    }
    if (summary === undefined) throw new Error("no run");
    const stored = await countMessages(store, mailbox.id);
    // closing the last connection checkpoints the WAL into the database file
    const t1 = performance.now();
    store.close();
    closed = true;
    phases.closeMs = Math.round(performance.now() - t1);
    phases.syncMs = summary.durationMs;
    phases.outMs = Math.round(process.uptime() * 1000);
    return {
      phases,
      status: summary.status,
      fetched,
      runsMs,
      bytes: summary.bytes,
      stored,
      durationMs: summary.durationMs,
      ms: summary.durationMs,
      ...(summary.error === undefined ? {} : { error: `${summary.error.code}: ${summary.error.message}` }),
    };
  } finally {
    if (!closed) store.close();
  }
}

async function _fetch(j: _FetchJob): Promise<Record<string, unknown>> {
  const client = new ImapFlow({
    host: j.host,
    port: j.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: j.user, pass: j.password },
    logger: false,
  });
  const started = performance.now();
  await client.connect();
  let count = 0;
  let bytes = 0;
  try {
    for (const folder of j.folders) {
      const opened = await client.mailboxOpen(folder, { readOnly: true });
      if (opened.exists === 0) continue;
      for await (const message of client.fetch("1:*", { uid: true, source: true })) {
        count++;
        bytes += message.source?.length ?? 0;
      }
    }
  } finally {
    await client.logout();
  }
  return { count, bytes, ms: performance.now() - started };
}
