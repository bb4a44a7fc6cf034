/**
 * IMAP collection against a real Dovecot: initial sync of a seeded INBOX into the store (messages/s,
 * MB/s) next to a bare imapflow `FETCH 1:* (UID BODY.PEEK[])` of the same mailbox in the same run (the
 * ratio is the figure), then a no-change resync's wall time and IMAP commands (counted by a TCP relay
 * between the client and Dovecot; one command is one round trip, imapflow runs them one at a time),
 * the peak RSS sampled while the initial sync runs, and the CPU time of both (on a machine with few
 * cores, what the sync adds to the FETCH shows in its CPU time).
 *
 * Checks: the store holds exactly the seeded messages (by Message-ID and SHA-256), the resync fetches
 * nothing.
 *
 * Arguments: `count=10000` messages, `minSize=2000`, `maxSize=6000` bytes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionProfile } from "@mailreg/core";
import {
  createKeyring,
  generateRegistryKey,
  importPrivateKey,
  importPublicKey,
  seal,
} from "@mailreg/crypto-registry";
import { syncMailbox } from "@mailreg/imap-sync";
import { attachDovecot, generateMessages, seedMaildir, startDovecot } from "@mailreg/mailservers";
import { type Mailbox, openStore, schema, storeSyncState } from "@mailreg/store";
import { eq } from "drizzle-orm";
import { ImapFlow } from "imapflow";
import { insertBenchMailbox } from "./bench-mailbox.ts";
import type { Benchmark, BenchResult } from "./benchmark.ts";

const _MB = 1024 * 1024;

export const imapSyncBenchmark: Benchmark = {
  name: "imap-sync",
  summary: "initial IMAP sync into the store vs a bare imapflow FETCH; no-change resync; peak RSS",
  async run(args) {
    const count = Number(args.count ?? 10_000);
    const minSize = Number(args.minSize ?? 2_000);
    const maxSize = Number(args.maxSize ?? 6_000);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-imap-"));
    const dovecot = await startDovecot({ users: [{ user: "bench", password: "bench-password" }] });
    const relay = await _countingRelay(dovecot.imapPort);
    const results: BenchResult[] = [];
    const notes: string[] = [];
    let ok = true;
    try {
      // a generator, not an array: 100,000 messages held in memory would blur the RSS figure
      const messages = () => generateMessages({ count, seed: 4242, minSize, maxSize });
      const seed = await seedMaildir(
        { ...attachDovecot(dovecot), separator: dovecot.separator },
        "bench",
        "INBOX",
        messages(),
      );
      const bytes = seed.bytes;
      results.push(_result("seed INBOX (maildir files)", count, seed.elapsedMs / 1000, bytes));

      const login = { host: dovecot.host, ca: dovecot.caPem, servername: dovecot.servername };
      await _bareFetch(login, dovecot.imapPort); // warm-up: Dovecot builds its index, the page cache fills
      const bare1 = await _bareFetch(login, dovecot.imapPort);
      results.push(
        _result("bare imapflow FETCH of all sources (1)", bare1.count, bare1.seconds, bare1.bytes),
      );

      const store = await openStore({ url: `file:${join(dir, "bench.db")}` });
      const profile: ConnectionProfile = {
        v: 1,
        address: "bench@example.test",
        protocol: "imap",
        host: dovecot.host,
        port: dovecot.imapPort,
        security: "starttls",
        login: "bench",
        auth: { method: "password", password: "bench-password" },
      };
      const pair = await generateRegistryKey();
      const keyring = createKeyring(await importPublicKey(pair.publicJwk), [
        await importPrivateKey(pair.privateJwk),
      ]);
      const mailbox = await insertBenchMailbox(store, keyring, profile);
      const options = {
        state: storeSyncState(store),
        keyring,
        connect: { tls: { ca: dovecot.caPem, servername: dovecot.servername } },
        folderPolicy: { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const,
      };
      (globalThis as { gc?: () => void }).gc?.();
      const baseRss = process.memoryUsage.rss();
      const rss = _rssSampler();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // RSS as the run goes on, at each tenth of the messages: flat once the pipeline is full
      const byTenth: number[] = [];
      const initial = await syncMailbox(mailbox, {
        ...options,
        onProgress: (p) => {
          while (p.totalFetched >= ((byTenth.length + 1) * count) / 10)
            byTenth.push(process.memoryUsage.rss());
        },
      });
      const initialSeconds = (performance.now() - t0) / 1000;
      const initialCpu = _cpuSeconds(process.cpuUsage(cpu0));
      const peakRss = rss.stop();
      results.push(
        _result("syncMailbox: initial sync into the store", initial.fetched, initialSeconds, initial.bytes),
      );

      const bare2 = await _bareFetch(login, dovecot.imapPort);
      results.push(
        _result("bare imapflow FETCH of all sources (2)", bare2.count, bare2.seconds, bare2.bytes),
      );
      const bareRate = (bare1.count / bare1.seconds + bare2.count / bare2.seconds) / 2;
      const ratio = initial.fetched / initialSeconds / bareRate;
      notes.push(
        `initial sync: **${Math.round(initial.fetched / initialSeconds).toLocaleString("en")} msg/s, ${(initial.bytes / _MB / initialSeconds).toFixed(1)} MiB/s**; bare FETCH: ${Math.round(bareRate).toLocaleString("en")} msg/s (mean of the two runs)`,
      );
      notes.push(
        `ratio initial sync / bare FETCH (messages/s): **${ratio.toFixed(2)}** (aim ≥ 0.9; the sync's time includes login, LIST and SELECT)`,
      );
      notes.push(
        `CPU of this process (all threads): initial sync ${initialCpu.toFixed(2)} s, bare FETCH ${((bare1.cpu + bare2.cpu) / 2).toFixed(2)} s (mean); on ${availableParallelism()} cores shared with Dovecot, the sync's extra work (hashing, envelopes, SQLite) cannot all hide behind the FETCH`,
      );
      notes.push(
        `RSS at each tenth of the initial sync (MiB): ${byTenth.map((r) => (r / _MB).toFixed(0)).join(", ")}`,
      );
      notes.push(
        `peak RSS while syncing ${count.toLocaleString("en")} messages: **${(peakRss / _MB).toFixed(0)} MiB** (${(baseRss / _MB).toFixed(0)} MiB before the sync; process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB); ${rss.atPeak()}`,
      );

      const t1 = performance.now();
      const resync = await syncMailbox(mailbox, options);
      const resyncMs = performance.now() - t1;
      results.push(_result("syncMailbox: no-change resync (STARTTLS)", count, resyncMs / 1000, 0));
      // the same mailbox once more through the counting relay (plain IMAP, so commands can be read)
      const relayed: Mailbox = {
        ...mailbox,
        sealed: await seal({ ...profile, port: relay.port, security: "none" }, keyring.publicKey, {
          registrationId: mailbox.registrationId,
          address: mailbox.address,
        }),
      };
      const counted = await syncMailbox(relayed, options);
      notes.push(
        `no-change resync of ${count.toLocaleString("en")} messages: **${resyncMs.toFixed(0)} ms, ${relay.commands()} IMAP commands** (${relay.names().join(" ")})`,
      );

      if (
        initial.status !== "ok" ||
        initial.fetched !== count ||
        resync.fetched !== 0 ||
        resync.status !== "ok" ||
        counted.fetched !== 0
      ) {
        ok = false;
        notes.push(
          `check failed: initial ${JSON.stringify(initial.error ?? initial.fetched)}, resync fetched ${resync.fetched}`,
        );
      }
      const check = await _compare(store, mailbox.id, messages());
      notes.push(
        check.ok
          ? `store check: all ${count} messages present once, hashes equal`
          : `store check FAILED: ${check.problem}`,
      );
      ok &&= check.ok;
      store.close();
    } finally {
      await relay.close();
      await dovecot.stop();
      await rm(dir, { recursive: true, force: true });
    }
    return { results, notes, ok };
  },
};

function _result(step: string, records: number, seconds: number, bytes: number): BenchResult {
  return { step, records, seconds, perSecond: Math.round(records / seconds), mb: bytes / _MB };
}

async function _bareFetch(
  login: { host: string; ca: string; servername: string },
  port: number,
): Promise<{ count: number; bytes: number; seconds: number; cpu: number }> {
  const client = new ImapFlow({
    host: login.host,
    port,
    secure: false,
    tls: { ca: login.ca, servername: login.servername },
    auth: { user: "bench", pass: "bench-password" },
    logger: false,
  });
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    const cpu = process.cpuUsage();
    const started = performance.now();
    let count = 0;
    let bytes = 0;
    for await (const message of client.fetch("1:*", { uid: true, source: true })) {
      count++;
      bytes += message.source?.length ?? 0;
    }
    const seconds = (performance.now() - started) / 1000;
    return { count, bytes, seconds, cpu: _cpuSeconds(process.cpuUsage(cpu)) };
  } finally {
    await client.logout();
  }
}

async function _compare(
  store: Awaited<ReturnType<typeof openStore>>,
  mailboxId: string,
  seeded: Iterable<{ messageId: string; raw: string }>,
): Promise<{ ok: boolean; problem?: string }> {
  const rows = await store.db
    .select({ messageId: schema.messages.messageId, hash: schema.messages.contentHash })
    .from(schema.messages)
    .where(eq(schema.messages.mailboxId, mailboxId))
    .all();
  const want = new Map<string, string>();
  for (const m of seeded)
    want.set(m.messageId.slice(1, -1), createHash("sha256").update(m.raw).digest("hex"));
  if (rows.length !== want.size)
    return { ok: false, problem: `${rows.length} rows for ${want.size} messages` };
  for (const row of rows) {
    if (want.get(row.messageId ?? "") !== row.hash)
      return { ok: false, problem: `message ${row.messageId} differs` };
  }
  return { ok: true };
}

function _cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/** The largest RSS seen every 10 ms until stopped, and where the memory was (sampled every 100 ms). */
function _rssSampler(): { stop(): number; atPeak(): string } {
  let peak = process.memoryUsage.rss();
  let breakdown = process.memoryUsage();
  let ticks = 0;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (++ticks % 10 === 0 && rss >= breakdown.rss) breakdown = process.memoryUsage();
    peak = Math.max(peak, rss);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
    atPeak: () =>
      `at the largest sampled RSS (${(breakdown.rss / _MB).toFixed(0)} MiB): JS heap ${(breakdown.heapUsed / _MB).toFixed(0)} of ${(breakdown.heapTotal / _MB).toFixed(0)} MiB, buffers ${(breakdown.arrayBuffers / _MB).toFixed(0)} MiB, other native ${((breakdown.rss - breakdown.heapTotal - breakdown.arrayBuffers) / _MB).toFixed(0)} MiB (SQLite, the writer thread, code)`,
  };
}

/** A plain-TCP relay to `targetPort` that counts the IMAP commands clients send through it. */
async function _countingRelay(targetPort: number): Promise<{
  port: number;
  commands(): number;
  names(): string[];
  close(): Promise<void>;
}> {
  const names: string[] = [];
  const server: Server = createServer((client) => {
    const opened = performance.now();
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    let pending = "";
    client.on("data", (data: Buffer) => {
      pending += data.toString("latin1");
      let end = pending.indexOf("\r\n");
      while (end >= 0) {
        const match = /^[A-Za-z0-9.]+ ((?:UID )?[A-Z]+)/.exec(pending.slice(0, end));
        if (match !== null) names.push(`${match[1]!}@${(performance.now() - opened).toFixed(1)}`);
        pending = pending.slice(end + 2);
        end = pending.indexOf("\r\n");
      }
      upstream.write(data);
    });
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    commands: () => names.length,
    names: () => [...names],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
