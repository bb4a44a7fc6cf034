import { readFile, rm } from "node:fs/promises";
import {
  type DovecotInfo,
  type FaultProxy,
  generateMessages,
  seedMaildir,
  startFaultProxy,
} from "@mailreg/mailservers";
import type { Store } from "@mailreg/store";
import { afterAll, describe, expect, inject, it } from "vitest";
import { spawnWorker, type WorkerProcess } from "../test/worker-process.ts";
import {
  applyMailbox,
  freshUser,
  openTestStore,
  seedTarget,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";

// Many small mailboxes on one Dovecot, collected by one worker process: the connections it holds
// open at once (counted at a pass-through proxy in front of Dovecot) stay within its concurrency,
// its memory stays bounded, and every mailbox is synced within its interval: first within one
// interval of the start, then never more than one interval after it was due again.
// `npm test` runs 50 mailboxes every 10 s for 30 s; MAILREG_SOAK=1 runs 500 every 60 s for 200 s.

const servers = inject("mailservers");
const { dovecot } = servers;
const SOAK = process.env.MAILREG_SOAK === "1";
const MAILBOXES = SOAK ? 500 : 50;
const INTERVAL_S = SOAK ? 60 : 10;
const RUN_S = SOAK ? 200 : 30;
const CONCURRENCY = 8;
const RSS_LIMIT_MIB = 400;

let proxy: FaultProxy | undefined;
let folder: TestFolder | undefined;
let store: Store | undefined;
let worker: WorkerProcess | undefined;
afterAll(async () => {
  if (worker !== undefined && worker.child.exitCode === null) worker.child.kill("SIGKILL");
  await proxy?.close();
  store?.close();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) / 1024);
}

describe("one worker, many mailboxes on one Dovecot", () => {
  it(`collects ${MAILBOXES} mailboxes every ${INTERVAL_S} s with at most ${CONCURRENCY} connections open, bounded memory, each synced within its interval`, {
    timeout: (RUN_S + (SOAK ? 600 : 120)) * 1000,
  }, async () => {
    proxy = await startFaultProxy({ target: { host: dovecot.host, port: dovecot.imapPort } });
    const proxied: DovecotInfo = { ...dovecot, imapPort: proxy.port };
    folder = await testFolder(proxied, { worker: { concurrency: CONCURRENCY, leaseSeconds: 60 } });
    store = await openTestStore(folder);
    const db = store;
    const target = seedTarget(dovecot);
    const ids: string[] = [];
    for (let i = 0; i < MAILBOXES; i++) {
      const user = freshUser(dovecot, "scale");
      await seedMaildir(target, user.user, "INBOX", [
        ...generateMessages({ count: 3, seed: 9000 + i, maxSize: 3000 }),
      ]);
      const mailbox = await applyMailbox(db, folder.keyring.publicKey, proxied, user, {
        intervalSeconds: INTERVAL_S,
      });
      ids.push(mailbox.id);
    }

    let peakOpen = 0;
    let peakRss = 0;
    let started = Date.now();
    worker = spawnWorker(folder.configPath, servers.caPath);
    const pid = worker.child.pid!;
    const sampler = setInterval(() => {
      peakOpen = Math.max(peakOpen, proxy!.connections.filter((c) => !c.closed).length);
      void rssMiB(pid)
        .then((mb) => {
          peakRss = Math.max(peakRss, mb);
        })
        .catch(() => {});
    }, 25);
    try {
      await until(
        "the worker started",
        async () => (worker!.lines.some((l) => l.msg === "worker started") ? true : undefined),
        60_000,
      );
      started = Date.now(); // the schedule starts when the worker does, not when its process is spawned
      await new Promise((resolve) => setTimeout(resolve, RUN_S * 1000));
    } finally {
      clearInterval(sampler);
    }
    worker.child.kill("SIGTERM");
    expect(await worker.exited, worker.stderr()).toEqual({ code: 0, signal: null });
    const stopped = Date.now();

    // every run of every mailbox, in order
    const rows = await db.client.execute(
      "SELECT mailbox_id, started_at, status, fetched FROM sync_runs ORDER BY started_at",
    );
    const runs = new Map<string, { at: number; status: string; fetched: number }[]>();
    for (const r of rows.rows) {
      const list = runs.get(String(r.mailbox_id)) ?? [];
      list.push({
        at: Date.parse(String(r.started_at)),
        status: String(r.status),
        fetched: Number(r.fetched),
      });
      runs.set(String(r.mailbox_id), list);
    }
    const interval = INTERVAL_S * 1000;
    const late: string[] = [];
    let maxFirstMs = 0;
    let maxGapMs = 0;
    let failed = 0;
    let collected = 0;
    for (const id of ids) {
      const list = runs.get(id) ?? [];
      failed += list.filter((r) => r.status === "failed").length;
      collected += list.reduce((n, r) => n + r.fetched, 0);
      const first = (list[0]?.at ?? stopped) - started;
      maxFirstMs = Math.max(maxFirstMs, first);
      // due again one interval after a run; synced within the interval after that
      const gaps = list.slice(1).map((r, i) => r.at - list[i]!.at);
      const tail = stopped - (list.at(-1)?.at ?? started);
      const gap = Math.max(0, ...gaps, tail);
      maxGapMs = Math.max(maxGapMs, gap);
      if (first > interval || gap > 2 * interval)
        late.push(`${id}: first ${first} ms, longest gap ${gap} ms`);
    }
    const stats = proxy.stats();
    const figures = {
      mailboxes: MAILBOXES,
      intervalS: INTERVAL_S,
      ranS: Math.round((stopped - started) / 1000),
      runs: rows.rows.length,
      failedRuns: failed,
      messagesCollected: collected,
      connections: stats.connections,
      peakOpenConnections: peakOpen,
      concurrency: CONCURRENCY,
      peakRssMiB: peakRss,
      slowestFirstSyncS: Math.round(maxFirstMs / 100) / 10,
      longestGapS: Math.round(maxGapMs / 100) / 10,
      late: late.length,
    };
    console.log(`worker scale: ${JSON.stringify(figures)}`);
    expect(collected).toBe(3 * MAILBOXES);
    expect(failed).toBe(0);
    expect(peakOpen).toBeLessThanOrEqual(CONCURRENCY);
    expect(peakRss).toBeLessThan(RSS_LIMIT_MIB);
    expect(late).toEqual([]);
  });
});
