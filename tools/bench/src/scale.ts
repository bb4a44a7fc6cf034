/**
 * Scale: many small mailboxes on one Dovecot, collected by the real worker (`startWorker`, as
 * `mailreg worker` runs it: config file, store, leases, scheduler) in processes of their own.
 *
 * 1. One worker process, 100 → 500 → 1,000 → 2,000 mailboxes (each a fresh database): the time for
 *    a full round (every mailbox collected once, from the process's start to the last run's end),
 *    the IMAP connections open at most (sampled from /proc/net/tcp every 100 ms), the process's peak
 *    RSS and its RSS once the round is over (idle, holding every mailbox's schedule), then a "sync
 *    now" round of every mailbox with nothing new. Printed as a curve, with the RSS each mailbox adds.
 * 2. The largest size again, once with one worker process and once with `workers` processes (default
 *    4) on one database: faster than one, and every mailbox collected exactly once (one sync run each,
 *    all ok, every message stored once). Both after the curve, so Dovecot has the same state for both:
 *    the first time a mailbox is opened Dovecot builds its index files, which costs it ≈ 40 ms of CPU
 *    per mailbox instead of ≈ 25 (measured), and on a 2-core machine shared with Dovecot that alone
 *    would decide the comparison.
 *
 * For each round it also reads the CPU time used by the worker processes, by Dovecot (its master with
 * its children), by this process and by the whole machine (anyone else's work included).
 *
 * Arguments: `sizes=100,500,1000,2000`, `messages=10` (per mailbox, 1–6 KB each), `concurrency=32`
 * (the config's `worker.concurrency`, per process), `workers=4`, `tickMs=1000` (the worker's own
 * default: how often it refills idle slots — at most `concurrency` runs start per tick — and,
 * after a run ended, reads every mailbox's schedule again, which costs O(mailboxes) each time), `dir=/path` (where the databases go), `write=false` (leave the README alone). `BENCH_PROF=/dir` in the environment
 * writes a CPU profile of each worker process there.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { addressKey, type ConnectionProfile, newId } from "@mailreg/core";
import { generateRegistryKey, loadKeyring, seal, writeKeyPair } from "@mailreg/crypto-registry";
import {
  type DovecotHandle,
  generateMessages,
  type SeedTarget,
  seedMaildir,
  startDovecot,
} from "@mailreg/mailservers";
import {
  type Mailbox,
  openStore,
  requestSync,
  type Store,
  schema,
  upsertInstances,
  writeTransaction,
} from "@mailreg/store";
import type { Benchmark } from "./benchmark.ts";
import { writeReadmeSection } from "./peers-report.ts";

/** A mailbox ready to insert: its profile sealed once, reused by every round. */
interface _Sealed {
  address: string;
  login: string;
  registrationId: string;
  sealed: string;
}

/** What one round measured. */
interface _Round {
  mailboxes: number;
  processes: number;
  /** From spawning the worker process(es) to the last mailbox's run finished. */
  seconds: number;
  /** The "sync now" round with nothing new (one process only). */
  againSeconds?: number;
  maxConnections: number;
  /** Peak RSS of the largest worker process, MiB. */
  peakRssMb: number;
  /** RSS of the worker process(es) once the round was over (summed), MiB. */
  idleRssMb: number;
  /** Sync runs per process. */
  runsPerProcess: number[];
  /** Mailboxes with more than one run in the round (must be 0). */
  duplicates: number;
  failed: number;
  messagesStored: number;
  messagesExpected: number;
  /** A round of the 1-vs-N comparison (not of the curve). */
  compare: boolean;
  /** Mean duration of a sync run (its `sync_runs` row), ms. */
  meanRunMs: number;
  /** CPU seconds the worker processes used in the full round (all their threads). */
  workerCpuSeconds: number;
  /** The worker processes' CPU seconds by thread: main (JavaScript), V8 helpers (compiler, GC), libuv pool, other. */
  workerThreads: Record<string, number>;
  /** CPU seconds Dovecot (its master and every process it started) used in the full round. */
  dovecotCpuSeconds: number;
  /** CPU seconds this benchmark process used in the full round (sampling connections, polling the database). */
  benchCpuSeconds: number;
  /** CPU seconds the whole machine used in the full round (Dovecot, the workers, this benchmark, anyone else). */
  machineCpuSeconds: number;
  /** The first errors the worker processes logged (failed runs, scheduling), at most 5 each. */
  errors: string[];
}

export const scaleBenchmark: Benchmark = {
  name: "scale",
  summary:
    "one worker for 100 … 2,000 small mailboxes on one Dovecot (round time, connections, RSS), then 4 worker processes vs 1 on one database",
  async run(args) {
    const sizes = (args.sizes ?? "100,500,1000,2000").split(",").map(Number);
    const perMailbox = Number(args.messages ?? 10);
    const concurrency = Number(args.concurrency ?? 32);
    const processes = Number(args.workers ?? 4);
    const tickMs = Number(args.tickMs ?? 1000);
    const max = Math.max(...sizes);
    const dir = await mkdtemp(join(args.dir ?? tmpdir(), "mailreg-bench-scale-"));
    const users = Array.from({ length: max }, (_, i) => ({ user: `scale${i}`, password: `scale-pw-${i}` }));
    const dovecot = await startDovecot({ users });
    const notes: string[] = [];
    const rounds: _Round[] = [];
    try {
      const seedStarted = performance.now();
      // the INBOX of a user is its maildir root: no doveadm call per user
      const target: SeedTarget = {
        separator: dovecot.separator,
        doveadm: async (a) =>
          a[0] === "mailbox" && a[1] === "path" ? dovecot.maildirOf(a[3]!) : dovecot.doveadm(a),
      };
      for (const [i, u] of users.entries()) {
        await seedMaildir(
          target,
          u.user,
          "INBOX",
          generateMessages({ count: perMailbox, seed: 7000 + i, minSize: 1_000, maxSize: 6_000 }),
        );
      }
      const keys = {
        publicKeyFile: join(dir, "keys/registry.public.jwk"),
        privateKeyDir: join(dir, "keys/private"),
      };
      await writeKeyPair(await generateRegistryKey(), keys);
      const keyring = await loadKeyring(keys);
      const sealed: _Sealed[] = [];
      for (const u of users) {
        const profile: ConnectionProfile = {
          v: 1,
          address: `${u.user}@example.test`,
          protocol: "imap",
          host: dovecot.host,
          port: dovecot.imapPort,
          security: "none",
          login: u.user,
          auth: { method: "password", password: u.password },
        };
        const registrationId = newId();
        sealed.push({
          address: profile.address,
          login: u.user,
          registrationId,
          sealed: await seal(profile, keyring.publicKey, { registrationId, address: profile.address }),
        });
      }
      notes.push(
        `${max.toLocaleString("en")} users × ${perMailbox} messages seeded and sealed in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; worker.concurrency ${concurrency} per process, tick ${tickMs} ms; ${availableParallelism()} cores, load ${loadavg()
          .map((n) => n.toFixed(2))
          .join(" ")}`,
      );
      const setup = {
        dir,
        keys,
        keyId: keyring.publicKey.kid,
        dovecot,
        sealed,
        perMailbox,
        concurrency,
        tickMs,
      };
      for (const n of sizes) rounds.push(await _round(setup, n, 1, true, false));
      rounds.push(await _round(setup, max, 1, false, true));
      rounds.push(await _round(setup, max, processes, false, true));
    } finally {
      await dovecot.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const markdown = _render(rounds, processes);
    const problems: string[] = [];
    for (const r of rounds) {
      const what = `${r.mailboxes} mailboxes, ${r.processes} process(es)`;
      if (r.failed > 0) problems.push(`${what}: ${r.failed} runs failed`);
      if (r.duplicates > 0) problems.push(`${what}: ${r.duplicates} mailboxes collected more than once`);
      if (r.messagesStored !== r.messagesExpected)
        problems.push(`${what}: ${r.messagesStored} of ${r.messagesExpected} messages stored`);
    }
    const one = rounds.find((r) => r.compare && r.processes === 1);
    const many = rounds.find((r) => r.compare && r.processes === processes && r.processes > 1);
    if (one !== undefined && many !== undefined) {
      const ratio = one.seconds / many.seconds;
      notes.push(
        `${processes} workers vs 1 on ${max.toLocaleString("en")} mailboxes: ${many.seconds.toFixed(1)} s vs ${one.seconds.toFixed(1)} s (${ratio.toFixed(2)}× as fast); runs per process ${many.runsPerProcess.join(", ")}; mailboxes collected twice: ${many.duplicates}`,
      );
      if (!(many.seconds < one.seconds)) problems.push(`${processes} workers were not faster than 1`);
    }
    const small = rounds.find((r) => !r.compare && r.mailboxes === Math.min(...sizes));
    const big = rounds.find((r) => !r.compare && r.mailboxes === max);
    if (small !== undefined && big !== undefined && big !== small) {
      const perMailboxKb = ((big.idleRssMb - small.idleRssMb) * 1024) / (big.mailboxes - small.mailboxes);
      notes.push(
        `RSS per idle mailbox (slope from ${small.mailboxes} to ${big.mailboxes}): ${perMailboxKb.toFixed(1)} KiB (aim < 1 MiB)`,
      );
      if (perMailboxKb >= 1024) problems.push("more than 1 MiB of RSS per idle mailbox");
    }
    for (const r of rounds) {
      const threads = Object.entries(r.workerThreads)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, cpu]) => `${kind} ${((cpu * 1000) / r.mailboxes).toFixed(1)}`)
        .join(", ");
      notes.push(
        `worker CPU ms per mailbox by thread (${r.mailboxes} mailboxes, ${r.processes} process(es)${r.compare ? ", comparison" : ""}): ${threads}`,
      );
    }
    for (const r of rounds) {
      for (const e of r.errors.slice(0, 5))
        notes.push(`error logged (${r.mailboxes} mailboxes, ${r.processes} process(es)): ${e.slice(0, 300)}`);
    }
    for (const p of problems) notes.push(`CHECK: ${p}`);
    if (args.write !== "false") {
      const header = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}, load ${loadavg()
        .map((n) => n.toFixed(2))
        .join(
          " ",
        )} at the end; ${perMailbox} messages (1–6 KB) per mailbox, worker.concurrency ${concurrency} per process, tick ${tickMs} ms.`;
      const written = await writeReadmeSection("scale", [header, "", markdown, "", ...notes].join("\n"));
      if (written) notes.push("written: README.md (scale section)");
    }
    return { results: [], markdown, notes, ok: problems.length === 0 };
  },
};

interface _Setup {
  dir: string;
  keys: { publicKeyFile: string; privateKeyDir: string };
  keyId: string;
  dovecot: DovecotHandle;
  sealed: _Sealed[];
  perMailbox: number;
  concurrency: number;
  tickMs: number;
}

/** One round: a fresh database with `n` mailboxes, `processes` workers until each is collected once. */
async function _round(
  s: _Setup,
  n: number,
  processes: number,
  again: boolean,
  compare: boolean,
): Promise<_Round> {
  const sub = join(s.dir, `round-${n}-${processes}${compare ? "-compare" : ""}`);
  await mkdir(sub, { recursive: true });
  const dbUrl = `file:${join(sub, "mailreg.db")}`;
  const configPath = join(sub, "mailreg.config.json");
  await writeFile(
    configPath,
    JSON.stringify({
      database: { url: dbUrl },
      keys: s.keys,
      worker: { concurrency: s.concurrency, intervalSeconds: 3600, leaseSeconds: 120 },
      instances: [{ id: "bench", label: "Bench", schedule: { intervalSeconds: 3600 } }],
      // the bench's mailboxes name the loopback Dovecot directly (no template): the network policy
      // for servers the public typed in would refuse them
      registration: { allowPrivateNetworks: true, allowedPorts: "any" },
    }),
  );
  const store = await openStore({ url: dbUrl });
  try {
    await upsertInstances(store, [{ id: "bench", label: "Bench", settings: {} }]);
    const ids = await _insertMailboxes(store, s, n);
    const sampler = _startSampler(s.dovecot.imapPort);
    const started = performance.now();
    const machineBefore = _machineCpuSeconds();
    const dovecotBefore = _treeCpuSeconds(s.dovecot.configPath);
    const benchBefore = process.cpuUsage();
    const children = Array.from({ length: processes }, () => _spawnWorker(configPath, s.tickMs));
    await _until(store, n, children);
    const seconds = (performance.now() - started) / 1000;
    const machineCpuSeconds = _machineCpuSeconds() - machineBefore;
    const dovecotCpuSeconds = _treeCpuSeconds(s.dovecot.configPath) - dovecotBefore;
    const benchUsage = process.cpuUsage(benchBefore);
    const benchCpuSeconds = (benchUsage.user + benchUsage.system) / 1e6;
    const workerCpuSeconds = children.reduce((sum, c) => sum + _processCpuSeconds(c.child.pid), 0);
    const workerThreads: Record<string, number> = {};
    for (const c of children) {
      for (const [kind, cpu] of Object.entries(_threadCpuSeconds(c.child.pid)))
        workerThreads[kind] = (workerThreads[kind] ?? 0) + cpu;
    }
    await new Promise((r) => setTimeout(r, 1_000)); // settle: the round's garbage may go
    const idleRssMb = children.reduce((sum, c) => sum + _rss(c.child.pid, "VmRSS"), 0);
    let againSeconds: number | undefined;
    if (again) {
      const t = performance.now();
      await writeTransaction(store, async (tx) => {
        for (const id of ids) await requestSync(tx, id);
      });
      await _until(store, 2 * n, children);
      againSeconds = (performance.now() - t) / 1000;
    }
    const peakRssMb = Math.max(...children.map((c) => _rss(c.child.pid, "VmHWM")));
    const maxConnections = sampler.stop();
    const ends = await Promise.all(children.map((c) => c.stop()));
    const runs = await store.client.execute(
      "select mailbox_id, count(*) as n, sum(status <> 'ok') as failed from sync_runs group by mailbox_id",
    );
    const perRound = again ? 2 : 1;
    const messages = await store.client.execute("select count(*) as n from messages");
    const mean = await store.client.execute(
      "select avg((julianday(finished_at) - julianday(started_at)) * 86400000) as ms from sync_runs",
    );
    return {
      mailboxes: n,
      processes,
      compare,
      seconds,
      ...(againSeconds === undefined ? {} : { againSeconds }),
      maxConnections,
      peakRssMb,
      idleRssMb,
      runsPerProcess: ends.map((e) => Number(e.runs ?? Number.NaN)),
      duplicates: runs.rows.filter((r) => Number(r.n) > perRound).length + (n - runs.rows.length),
      failed: runs.rows.reduce((sum, r) => sum + Number(r.failed), 0),
      messagesStored: Number(messages.rows[0]?.n ?? 0),
      messagesExpected: n * s.perMailbox,
      meanRunMs: Number(mean.rows[0]?.ms ?? Number.NaN),
      workerCpuSeconds,
      workerThreads,
      dovecotCpuSeconds,
      benchCpuSeconds,
      machineCpuSeconds,
      errors: ends.flatMap((e) => (Array.isArray(e.errors) ? e.errors.map(String) : [])),
    };
  } finally {
    store.close();
    await rm(sub, { recursive: true, force: true });
  }
}

async function _insertMailboxes(store: Store, s: _Setup, n: number): Promise<string[]> {
  const now = new Date().toISOString();
  const rows: Mailbox[] = s.sealed.slice(0, n).map((m) => ({
    id: newId(),
    instanceId: "bench",
    address: m.address,
    addressKey: addressKey(m.address),
    displayName: null,
    protocol: "imap",
    template: null,
    host: s.dovecot.host,
    port: s.dovecot.imapPort,
    security: "none",
    login: m.login,
    authMethod: "password",
    keyId: s.keyId,
    sealed: m.sealed,
    registrationId: m.registrationId,
    autoFetch: true,
    intervalSeconds: null,
    deleteAfterFetch: false,
    createdAt: now,
    updatedAt: now,
    credentialsUpdatedAt: now,
  }));
  for (let i = 0; i < rows.length; i += 100) {
    await store.db
      .insert(schema.mailboxes)
      .values(rows.slice(i, i + 100))
      .run();
  }
  return rows.map((r) => r.id);
}

/** Waits until `runs` sync runs have finished (or a worker died). */
async function _until(store: Store, runs: number, children: _Worker[]): Promise<void> {
  for (;;) {
    const row = await store.client.execute("select count(*) as n from sync_runs where status <> 'running'");
    if (Number(row.rows[0]?.n ?? 0) >= runs) return;
    const dead = children.find((c) => c.child.exitCode !== null);
    if (dead !== undefined)
      throw new Error(`a worker exited (${dead.child.exitCode}): ${dead.stderr().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface _Worker {
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then its last JSON line. */
  stop(): Promise<Record<string, unknown>>;
}

function _spawnWorker(configPath: string, tickMs: number): _Worker {
  const source = import.meta.url.endsWith(".ts");
  const script = new URL(`./_scale-worker.${source ? "ts" : "js"}`, import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      ...(source ? ["--import", "tsx"] : []),
      ...(process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
      script,
      JSON.stringify({ config: configPath, tickMs }),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => {
    stdout += t;
  });
  child.stderr!.setEncoding("utf8").on("data", (t: string) => {
    stderr = (stderr + t).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    child,
    stderr: () => stderr,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      const last = stdout.trim().split("\n").pop() ?? "{}";
      try {
        return JSON.parse(last) as Record<string, unknown>;
      } catch {
        return {};
      }
    },
  };
}

/** A process's VmRSS or VmHWM in MiB (0 once it is gone). */
function _rss(pid: number | undefined, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return kib / 1024;
  } catch {
    return 0;
  }
}

/** User + system CPU seconds of a process and its threads so far (0 once it is gone). */
function _processCpuSeconds(pid: number | undefined): number {
  try {
    // the fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process's CPU seconds per kind of thread (by the thread's name), for the threads alive now. */
function _threadCpuSeconds(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of names) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const kind =
        tid === String(pid)
          ? "main"
          : /^V8 /.test(comm)
            ? "V8 helpers"
            : /libuv/.test(comm)
              ? "libuv pool"
              : `other (${comm})`;
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds of the process whose command line holds `marker` (Dovecot's master, by its config
 * path), its reaped children (`cutime`, `cstime`) and its live ones.
 */
function _treeCpuSeconds(marker: string): number {
  const stats = new Map<number, { ppid: number; cpu: number }>();
  let master: number | undefined;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpu = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
      stats.set(Number(name), { ppid: Number(f[1]), cpu });
      if (master === undefined && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker))
        master = Number(name);
    } catch {
      // gone meanwhile
    }
  }
  if (master === undefined) return 0;
  let sum = 0;
  for (const [pid, st] of stats) if (pid === master || st.ppid === master) sum += st.cpu;
  return sum;
}

/** CPU seconds every core of the machine has been busy so far (all of /proc/stat but idle and iowait). */
function _machineCpuSeconds(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0)) / 100;
}

/**
 * Counts established TCP connections to the IMAP port every 100 ms (a run keeps its connection for
 * longer); `stop()` returns the most seen. The file also lists every closed connection in TIME_WAIT
 * (thousands in a round): reading it every 20 ms and splitting it into fields cost this process a
 * fifth of a core, taken from the workers and Dovecot on a 2-core machine.
 */
function _startSampler(port: number): { stop(): number } {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  // client side: the remote address is the server's port; state 01 = ESTABLISHED
  const established = new RegExp(`:[0-9A-F]{4} [0-9A-F]{8}:${hexPort} 01 `, "g");
  let most = 0;
  const sample = () => {
    let text: string;
    try {
      text = readFileSync("/proc/net/tcp", "utf8");
    } catch {
      return;
    }
    const n = text.match(established)?.length ?? 0;
    if (n > most) most = n;
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      return most;
    },
  };
}

function _cpu(r: _Round): string {
  return [r.workerCpuSeconds, r.dovecotCpuSeconds, r.benchCpuSeconds, r.machineCpuSeconds]
    .map((seconds) => ((seconds * 1000) / r.mailboxes).toFixed(1))
    .join(", ");
}

function _render(rounds: readonly _Round[], processes: number): string {
  const lines = [
    "One worker process (the curve):",
    "",
    '| mailboxes | full round s | mailboxes/s | "sync now" round, no change, s | mean run ms | max IMAP connections | peak RSS MiB | RSS after the round MiB | CPU ms per mailbox: worker, Dovecot, bench, whole machine |',
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rounds.filter((x) => !x.compare)) {
    lines.push(
      `| ${r.mailboxes.toLocaleString("en")} | ${r.seconds.toFixed(1)} | ${Math.round(r.mailboxes / r.seconds)} | ${r.againSeconds?.toFixed(1) ?? "–"} | ${r.meanRunMs.toFixed(0)} | ${r.maxConnections} | ${r.peakRssMb.toFixed(0)} | ${r.idleRssMb.toFixed(0)} | ${_cpu(r)} |`,
    );
  }
  const max = Math.max(...rounds.map((r) => r.mailboxes));
  lines.push(
    "",
    `${processes} worker processes vs 1, ${max.toLocaleString("en")} mailboxes, one database, Dovecot's indexes already built by the curve for both:`,
    "",
    "| processes | full round s | mailboxes/s | max IMAP connections | runs per process | mailboxes collected twice | failed runs | messages stored | CPU ms per mailbox: worker, Dovecot, bench, whole machine |",
    "|---:|---:|---:|---:|---|---:|---:|---:|---:|",
  );
  for (const r of rounds.filter((x) => x.compare)) {
    lines.push(
      `| ${r.processes} | ${r.seconds.toFixed(1)} | ${Math.round(r.mailboxes / r.seconds)} | ${r.maxConnections} | ${r.runsPerProcess.join(", ")} | ${r.duplicates} | ${r.failed} | ${r.messagesStored.toLocaleString("en")} of ${r.messagesExpected.toLocaleString("en")} | ${_cpu(r)} |`,
    );
  }
  return lines.join("\n");
}
