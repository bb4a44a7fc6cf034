/**
 * mailreg against the tools a user would pick instead, in one run on the same data: a fixed corpus
 * seeded into a fresh Dovecot (user A: 10,000 messages of 2–6 KB in INBOX; user B: 5 nested folders
 * of 2,000 each), then for each corpus, each tool as a child process with an empty destination
 * (`initial`) and once more on what it left (`no-change`): mailreg (`syncMailbox` into a fresh
 * store), the bare imapflow FETCH (the floor: the client library and the server, nothing stored),
 * mbsync, getmail6, offlineimap3, fetchmail over POP3 and over IMAP (procmail as MDA). Wall seconds,
 * messages/s, MB/s and the peak RSS of each, and each tool's time as a multiple of mailreg's.
 *
 * Checks: every tool's destination holds every message after `initial` and still exactly that many
 * after `no-change` (files counted in the Maildir; rows counted in mailreg's store); a tool that
 * fails (or runs past 10 minutes) is reported as failed with its error; mailreg or the bare FETCH
 * failing fails the benchmark, and so does a missed target (see `_targets`).
 *
 * Arguments: `count=10000` (user A), `folderCount=2000` (each of user B's 5 folders), `runs=1`
 * (best of n per row), `tools=mailreg,mbsync,…` (a subset), `dir=/path` (where destinations go;
 * default the OS temp directory), `write=false` (do not write results/ and the README).
 *
 * @module
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { ConnectionProfile } from "@mailreg/core";
import { generateRegistryKey, loadKeyring, writeKeyPair } from "@mailreg/crypto-registry";
import {
  attachDovecot,
  type DovecotHandle,
  generateMessages,
  seedMaildir,
  startDovecot,
} from "@mailreg/mailservers";
import { openStore } from "@mailreg/store";
import { insertBenchMailbox } from "./bench-mailbox.ts";
import type { Benchmark } from "./benchmark.ts";
import { debianVersion, ensurePrograms } from "./debian-packages.ts";
import { type Measured, measureCommand } from "./measure.ts";
import { countMaildirMessages, PEER_TOOLS, type PeerTarget, type PeerTool } from "./peer-tools.ts";
import { type PeerRow, type PeersReport, renderPeersTable, writePeersReport } from "./peers-report.ts";

const _MB = 1024 * 1024;

/** A peer still running after this long is stopped and reported as failed. */
const _PEER_TIMEOUT_MS = 10 * 60_000;

/** User B's folders ('/' separator): nested, each filled alike. */
const FOLDERS_B = ["Archive", "Archive/2025", "Archive/2025/Q4", "Lists", "Lists/dev"] as const;

/** One corpus: a user and the folders that hold its messages. */
interface _Corpus {
  label: string;
  user: string;
  password: string;
  folders: readonly string[];
  messages: number;
  bytes: number;
  /** mailreg's folder policy for it. */
  mode: "inbox" | "all";
}

export const peersBenchmark: Benchmark = {
  name: "peers",
  summary:
    "mailreg vs mbsync, fetchmail (IMAP, POP3), getmail6, offlineimap3 and a bare imapflow FETCH: initial and no-change, same data",
  async run(args) {
    const started = { date: new Date().toISOString(), machine: _machine() };
    const count = Number(args.count ?? 10_000);
    const folderCount = Number(args.folderCount ?? 2_000);
    const runs = Math.max(1, Number(args.runs ?? 1));
    const only = args.tools?.split(",");
    const peers = PEER_TOOLS.filter((t) => only === undefined || only.includes(t.name));
    const programs = Object.fromEntries([
      ...peers.map((t) => [t.program, t.debianPackage]),
      ...(peers.some((t) => t.name.startsWith("fetchmail") || t.name === "getmail6")
        ? [["procmail", "procmail"]]
        : []),
      ["time", "time"],
    ]);
    const installed = ensurePrograms(programs);
    const dir = await mkdtemp(join(args.dir ?? tmpdir(), "mailreg-bench-peers-"));
    const dovecot = await startDovecot({
      users: [
        { user: "bench-a", password: "bench-a-password" },
        { user: "bench-b", password: "bench-b-password" },
      ],
    });
    const rows: PeerRow[] = [];
    const notes: string[] = [];
    try {
      const corpora = await _seed(dovecot, count, folderCount);
      for (const c of corpora) {
        notes.push(
          `corpus ${c.label}: ${c.messages.toLocaleString("en")} messages, ${(c.bytes / _MB).toFixed(1)} MiB, folders ${c.folders.join(", ")}`,
        );
      }
      const mailreg = await _mailregSetup(dir, dovecot, corpora);
      // warm-up: Dovecot builds its indexes and the page cache fills before anything is timed
      for (const c of corpora) await _runFloor(dovecot, c);

      for (const c of corpora) {
        const wants = (name: string) => only === undefined || only.includes(name);
        if (wants("imapflow-fetch")) {
          for (const row of await _bestPair(runs, () => _floorRows(dovecot, c))) rows.push(row);
        }
        if (wants("mailreg")) {
          for (const row of await _bestPair(runs, (i) =>
            _mailregRows(mailreg, c, join(dir, `mailreg-${c.user}-${i}`)),
          ))
            rows.push(row);
        }
        for (const tool of peers) {
          const target: PeerTarget = {
            host: dovecot.host,
            imapPort: dovecot.imapPort,
            pop3Port: dovecot.pop3Port,
            user: c.user,
            password: c.password,
            folders: c.folders,
          };
          if (!tool.supports(target)) {
            notes.push(`${tool.name} on ${c.label}: not applicable (POP3 reaches INBOX only)`);
            continue;
          }
          for (const row of await _bestPair(runs, (i) =>
            _peerRows(tool, target, c, join(dir, `${tool.name}-${c.user}-${i}`)),
          ))
            rows.push(row);
        }
      }
    } finally {
      await dovecot.stop();
      await rm(dir, { recursive: true, force: true });
    }
    _ratios(rows);
    const report: PeersReport = {
      date: started.date,
      machine: started.machine,
      versions: _versions(peers),
      runs,
      rows,
    };
    const markdown = renderPeersTable(report);
    if (args.write !== "false") {
      const written = await writePeersReport(report);
      notes.push(`written: ${written.join(", ")}`);
    }
    if (installed.length > 0) notes.push(`installed from Debian: ${installed.join(" ")}`);
    const failed = rows.filter((r) => !r.ok);
    for (const r of failed) notes.push(`FAILED ${r.tool} ${r.scenario} (${r.corpus}): ${r.error ?? ""}`);
    for (const r of rows.filter((x) => x.phases !== undefined)) {
      const p = r.phases!;
      notes.push(
        `mailreg process, ${r.corpus} ${r.scenario}: ${r.seconds.toFixed(2)} s = Node start-up and modules ${p.startMs} ms, keys and store open ${p.openMs} ms, the sync ${p.syncMs} ms, closing the store (WAL checkpoint) ${p.closeMs} ms, result out at ${p.outMs} ms, then exit`,
      );
    }
    const targets = _targets(rows);
    notes.push(...targets.notes);
    // a peer that fails is reported; mailreg or the floor failing (data lost) fails the benchmark
    const ours = failed.filter((r) => r.tool.startsWith("mailreg") || r.tool.startsWith("imapflow-fetch"));
    return { results: [], markdown, notes, ok: ours.length === 0 && targets.met };
  },
};

async function _seed(dovecot: DovecotHandle, count: number, folderCount: number): Promise<_Corpus[]> {
  const target = { ...attachDovecot(dovecot), separator: dovecot.separator };
  const a = await seedMaildir(
    target,
    "bench-a",
    "INBOX",
    generateMessages({ count, seed: 4242, minSize: 2_000, maxSize: 6_000 }),
  );
  let bBytes = 0;
  let bCount = 0;
  for (const [i, folder] of FOLDERS_B.entries()) {
    const seeded = await seedMaildir(
      target,
      "bench-b",
      folder,
      generateMessages({ count: folderCount, seed: 5000 + i, minSize: 2_000, maxSize: 6_000 }),
    );
    bBytes += seeded.bytes;
    bCount += seeded.count;
  }
  return [
    {
      label: "A: INBOX",
      user: "bench-a",
      password: "bench-a-password",
      folders: ["INBOX"],
      messages: a.count,
      bytes: a.bytes,
      mode: "inbox",
    },
    {
      label: "B: 5 folders",
      user: "bench-b",
      password: "bench-b-password",
      folders: FOLDERS_B,
      messages: bCount,
      bytes: bBytes,
      mode: "all",
    },
  ];
}

/** The child script (built JS, or the TS source under tsx when run from source). */
function _child(): { execArgv: string[]; script: string } {
  const source = import.meta.url.endsWith(".ts");
  const script = new URL(`./_peer-child.${source ? "ts" : "js"}`, import.meta.url).pathname;
  return { execArgv: source ? ["--import", "tsx"] : [], script };
}

async function _runChild(
  job: Record<string, unknown>,
): Promise<{ m: Measured; out: Record<string, unknown> }> {
  const { execArgv, script } = _child();
  const m = await measureCommand([process.execPath, ...execArgv, script, JSON.stringify(job)]);
  let out: Record<string, unknown> = {};
  try {
    out = JSON.parse(m.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
  } catch {
    // reported below as a failure with its stderr
  }
  return { m, out };
}

function _runFloor(dovecot: DovecotHandle, c: _Corpus) {
  return _runChild({
    mode: "imapflow-fetch",
    host: dovecot.host,
    port: dovecot.imapPort,
    user: c.user,
    password: c.password,
    folders: c.folders,
  });
}

async function _floorRows(dovecot: DovecotHandle, c: _Corpus): Promise<PeerRow[]> {
  const { m, out } = await _runFloor(dovecot, c);
  const got = Number(out.count ?? Number.NaN);
  const problem = got === c.messages ? undefined : _why(m, `fetched ${got}`);
  return [
    _row("imapflow-fetch", "initial", c, m, problem),
    _row(`imapflow-fetch${IN_PROCESS}`, "initial", c, _inProcess(m, out), problem),
  ];
}

/** The suffix of a row measured inside the process (connect to logout), without its start-up. */
const IN_PROCESS = " (in process)";

/** A child's own measurement of its work (`ms`), with the process's peak RSS. */
function _median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function _inProcess(m: Measured, out: Record<string, unknown>): Measured {
  const ms = Number(out.ms ?? Number.NaN);
  return { ...m, seconds: Number.isFinite(ms) ? ms / 1000 : m.seconds };
}

interface _MailregSetup {
  keys: { publicKeyFile: string; privateKeyDir: string };
  profiles: Map<string, ConnectionProfile>;
}

async function _mailregSetup(
  dir: string,
  dovecot: DovecotHandle,
  corpora: _Corpus[],
): Promise<_MailregSetup> {
  const keys = {
    publicKeyFile: join(dir, "keys/registry.public.jwk"),
    privateKeyDir: join(dir, "keys/private"),
  };
  await writeKeyPair(await generateRegistryKey(), keys);
  const profiles = new Map<string, ConnectionProfile>();
  for (const c of corpora) {
    profiles.set(c.user, {
      v: 1,
      address: `${c.user}@example.test`,
      protocol: "imap",
      host: dovecot.host,
      port: dovecot.imapPort,
      security: "none",
      login: c.user,
      auth: { method: "password", password: c.password },
    });
  }
  return { keys, profiles };
}

/** mailreg into a fresh store in `dir`: the initial run, then the no-change run on the same store. */
async function _mailregRows(setup: _MailregSetup, c: _Corpus, dir: string): Promise<PeerRow[]> {
  await mkdir(dir, { recursive: true });
  const dbUrl = `file:${join(dir, "mailreg.db")}`;
  const store = await openStore({ url: dbUrl });
  const keyring = await loadKeyring(setup.keys);
  const mailbox = await insertBenchMailbox(store, keyring, setup.profiles.get(c.user)!);
  store.close();
  const job = { mode: "mailreg", dbUrl, keys: setup.keys, mailboxId: mailbox.id, folders: c.mode };
  const first = await _runChild(job);
  const initialProblem =
    first.out.status !== "ok" || first.out.fetched !== c.messages || first.out.stored !== c.messages
      ? _why(
          first.m,
          `status ${String(first.out.status)}, fetched ${String(first.out.fetched)}, ${String(first.out.error ?? "")}`,
        )
      : undefined;
  const second = await _runChild(job);
  // the resident worker's no-change run: one process runs it 6 times, the median of runs 2–6 counts
  // (the first pays for loading code and warming the JIT, which the worker did long before)
  const warm = await _runChild({ ...job, repeat: 6 });
  const warmRuns = Array.isArray(warm.out.runsMs) ? (warm.out.runsMs as number[]).slice(1) : [];
  const warmMs = warmRuns.length === 0 ? Number.NaN : _median(warmRuns);
  const againProblem =
    second.out.status !== "ok" || second.out.fetched !== 0 || second.out.stored !== c.messages
      ? _why(second.m, `fetched ${String(second.out.fetched)} again, ${String(second.out.stored)} stored`)
      : warm.out.status !== "ok" || warm.out.fetched !== 0 || !Number.isFinite(warmMs)
        ? _why(
            warm.m,
            `repeated no-change runs: status ${String(warm.out.status)}, fetched ${String(warm.out.fetched)}`,
          )
        : undefined;
  await rm(dir, { recursive: true, force: true });
  const phased = (row: PeerRow, out: Record<string, unknown>): PeerRow =>
    typeof out.phases === "object" && out.phases !== null
      ? { ...row, phases: out.phases as Record<string, number> }
      : row;
  return [
    phased(_row("mailreg", "initial", c, first.m, initialProblem), first.out),
    phased(_row("mailreg", "no-change", c, second.m, againProblem), second.out),
    // the worker is a resident process: this is what each run costs it
    _row(`mailreg${IN_PROCESS}`, "initial", c, _inProcess(first.m, first.out), initialProblem),
    _row(`mailreg${IN_PROCESS}`, "no-change", c, _inProcess(warm.m, { ms: warmMs }), againProblem),
  ];
}

/** A peer into an empty directory, then again on what it left. */
async function _peerRows(
  tool: PeerTool,
  target: PeerTarget,
  c: _Corpus,
  dir: string,
): Promise<[PeerRow, PeerRow]> {
  await mkdir(dir, { recursive: true });
  const run = tool.prepare(dir, target);
  const limitMs = tool.timeoutMs ?? _PEER_TIMEOUT_MS;
  const first = await measureCommand(run.argv, { cwd: dir, okCodes: run.okCodes, timeoutMs: limitMs });
  const got = countMaildirMessages(run.maildir);
  if (first.code === null) {
    // stopped at its time limit: say how far it got, and skip the no-change run
    const why = `stopped after ${(limitMs / 1000).toFixed(0)} s with ${got.toLocaleString("en")} of ${c.messages.toLocaleString("en")} messages (≈ ${(got / first.seconds).toFixed(1)} msg/s)`;
    await rm(dir, { recursive: true, force: true });
    return [
      _row(tool.name, "initial", c, first, why),
      _row(tool.name, "no-change", c, first, "not run: the initial run did not finish"),
    ];
  }
  const initialProblem =
    got !== c.messages || !first.ok
      ? _why(first, `${got} of ${c.messages} messages in the Maildir`)
      : undefined;
  const second = await measureCommand(run.againArgv ?? run.argv, {
    cwd: dir,
    okCodes: run.okCodes,
    timeoutMs: _PEER_TIMEOUT_MS,
  });
  const again = countMaildirMessages(run.maildir);
  const againProblem =
    again !== got || !second.ok ? _why(second, `${again - got} messages fetched again`) : undefined;
  await rm(dir, { recursive: true, force: true });
  return [
    _row(tool.name, "initial", c, first, initialProblem),
    _row(tool.name, "no-change", c, second, againProblem),
  ];
}

function _row(
  tool: string,
  scenario: "initial" | "no-change",
  c: _Corpus,
  m: Measured,
  problem: string | undefined,
): PeerRow {
  const ok = m.ok && problem === undefined;
  return {
    tool,
    scenario,
    corpus: c.label,
    messages: c.messages,
    seconds: _round(m.seconds, 3),
    msgsPerSec: Math.round(c.messages / m.seconds),
    // nothing is transferred in a no-change run: its rate is messages checked per second
    mbPerSec: scenario === "initial" ? _round(c.bytes / _MB / m.seconds, 2) : null,
    rssMb: _round(m.rssMb, 1),
    ratioToMailreg: null,
    ok,
    ...(ok ? {} : { error: problem ?? _why(m, "failed") }),
  };
}

/**
 * Each row's seconds as a multiple of mailreg's in the same corpus and scenario (> 1: slower);
 * in-process rows against mailreg's in-process row.
 */
function _ratios(rows: PeerRow[]): void {
  for (const row of rows) {
    const tool = row.tool.endsWith(IN_PROCESS) ? `mailreg${IN_PROCESS}` : "mailreg";
    const base = rows.find((r) => r.tool === tool && r.scenario === row.scenario && r.corpus === row.corpus);
    if (base?.ok === true && row.ok) row.ratioToMailreg = _round(row.seconds / base.seconds, 2);
  }
}

/**
 * The targets of the issue, per corpus: the initial sync within 10 % of the bare FETCH (both in
 * process, without start-up), faster than every peer (whole processes, measured alike); the
 * no-change run faster than every peer's (mailreg as its resident worker runs it) and under 50 ms.
 */
function _targets(rows: readonly PeerRow[]): { notes: string[]; met: boolean } {
  const notes: string[] = [];
  let met = true;
  const check = (ok: boolean, text: string) => {
    notes.push(`${ok ? "target met" : "TARGET MISSED"}: ${text}`);
    if (!ok) met = false;
  };
  for (const corpus of [...new Set(rows.map((r) => r.corpus))]) {
    const get = (tool: string, scenario: string) =>
      rows.find((r) => r.corpus === corpus && r.tool === tool && r.scenario === scenario && r.ok);
    const peers = (scenario: string) =>
      rows.filter(
        (r) =>
          r.corpus === corpus &&
          r.scenario === scenario &&
          r.ok &&
          !r.tool.startsWith("mailreg") &&
          !r.tool.startsWith("imapflow-fetch"),
      );
    const initial = get("mailreg", "initial");
    const initialIn = get(`mailreg${IN_PROCESS}`, "initial");
    const floorIn = get(`imapflow-fetch${IN_PROCESS}`, "initial");
    if (initialIn !== undefined && floorIn !== undefined) {
      const ratio = floorIn.seconds / initialIn.seconds;
      check(
        ratio >= 0.9,
        `${corpus}: initial sync ${initialIn.msgsPerSec.toLocaleString("en")} msg/s = ${ratio.toFixed(2)}× the bare FETCH's ${floorIn.msgsPerSec.toLocaleString("en")} msg/s (aim ≥ 0.9)`,
      );
    }
    if (initial !== undefined) {
      const faster = peers("initial").filter((p) => p.seconds <= initial.seconds);
      check(
        faster.length === 0,
        `${corpus}: initial sync ${initial.seconds.toFixed(2)} s, ${faster.length === 0 ? "faster than every peer" : `slower than ${faster.map((p) => `${p.tool} (${p.seconds.toFixed(2)} s)`).join(", ")}`}`,
      );
    }
    const again = get(`mailreg${IN_PROCESS}`, "no-change");
    if (again !== undefined) {
      const faster = peers("no-change").filter((p) => p.seconds <= again.seconds);
      check(
        faster.length === 0,
        `${corpus}: no-change run in the worker ${(again.seconds * 1000).toFixed(0)} ms, ${faster.length === 0 ? "faster than every peer's run" : `slower than ${faster.map((p) => `${p.tool} (${(p.seconds * 1000).toFixed(0)} ms)`).join(", ")}`}`,
      );
      if (corpus.startsWith("A"))
        check(
          again.seconds < 0.05,
          `${corpus}: no-change run ${(again.seconds * 1000).toFixed(0)} ms (aim < 50 ms)`,
        );
    }
  }
  return { notes, met };
}

async function _bestPair(runs: number, once: (i: number) => Promise<PeerRow[]>): Promise<PeerRow[]> {
  const all: PeerRow[][] = [];
  for (let i = 0; i < runs; i++) all.push(await once(i));
  return (all[0] ?? []).map((_, k) => _pickBest(all.map((rows) => rows[k]!)));
}

/** A failed run wins (it must show); else the fastest, with the spread of all runs. */
function _pickBest(all: PeerRow[]): PeerRow {
  const failed = all.find((r) => !r.ok);
  if (failed !== undefined) return failed;
  const sorted = [...all].sort((a, b) => a.seconds - b.seconds);
  const best = { ...sorted[0]! };
  if (all.length > 1) best.spreadSeconds = [sorted[0]!.seconds, sorted.at(-1)!.seconds];
  return best;
}

function _why(m: Measured, what: string): string {
  const tail = m.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400);
  return `${what}; exit ${m.code}${tail === "" ? "" : `; stderr: ${tail}`}`;
}

function _round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function _machine(): PeersReport["machine"] {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "?",
    ramGiB: _round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    loadAverage: loadavg().map((n) => _round(n, 2)),
  };
}

function _versions(peers: readonly PeerTool[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tool of peers) out[tool.name] = `${tool.debianPackage} ${debianVersion(tool.debianPackage)}`;
  if (peers.some((t) => t.name.startsWith("fetchmail") || t.name === "getmail6"))
    out.procmail = `procmail ${debianVersion("procmail")}`;
  out.dovecot = `dovecot-imapd ${debianVersion("dovecot-imapd")}`;
  return out;
}
