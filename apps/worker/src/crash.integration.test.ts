import { rm } from "node:fs/promises";
import { type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { listLeases, type Mailbox, type Store, schema } from "@mailreg/store";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, inject, it } from "vitest";
import { spawnWorker, type WorkerProcess } from "../test/worker-process.ts";
import {
  applyMailbox,
  expectedMessages,
  freshUser,
  openTestStore,
  seedTarget,
  storedMessages,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";

// Worker processes, two at a time, are killed with SIGKILL at random moments (drawn from a seeded
// generator, the seed printed; the two draw in the order they start) while they collect two dozen
// mailboxes with delete-after-fetch on, new mail arriving between kills, and are started again each
// time. After every few kills the server and the store are compared: nothing stored
// twice, nothing stored that was never delivered, and no message gone from the server or flagged
// \Deleted there that is not stored. At the end a last worker collects the rest: every message
// stored exactly once, none left on the server.
// MAILREG_SOAK=1 (npm run test:soak) kills it 150 times.

const servers = inject("mailservers");
const { dovecot } = servers;
const SOAK = process.env.MAILREG_SOAK === "1";
const KILLS = SOAK ? 150 : 30;
const MAILBOXES = 24;

const children: WorkerProcess[] = [];
let folder: TestFolder | undefined;
let store: Store | undefined;
afterAll(async () => {
  for (const w of children)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  store?.close();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

/** A small seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Message-IDs in the user's INBOX, with whether each is flagged \Deleted (not yet expunged). */
async function onServer(user: string): Promise<{ id: string; deleted: boolean }[]> {
  const out = await seedTarget(dovecot).doveadm([
    "-f",
    "tab",
    "fetch",
    "-u",
    user,
    "hdr.message-id flags",
    "mailbox",
    "INBOX",
    "all",
  ]);
  return out
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id = "", flags = ""] = line.split("\t");
      return { id: id.trim().replace(/^<|>$/g, ""), deleted: flags.includes("\\Deleted") };
    });
}

interface Box {
  user: { user: string; password: string };
  mailbox: Mailbox;
  delivered: GeneratedMessage[];
}

/** The store against the server for one mailbox: what is wrong (empty lists when all is well). */
async function compare(db: Store, box: Box) {
  const stored = await storedMessages(db, box.mailbox.id);
  const expected = new Set(expectedMessages(box.delivered));
  const storedIds = new Set(stored.map((line) => line.split(" ")[0]!));
  const server = await onServer(box.user.user);
  const present = new Set(server.filter((m) => !m.deleted).map((m) => m.id));
  return {
    stored: stored.length,
    onServer: present.size,
    duplicated: stored.filter((line, i) => stored[i - 1] === line),
    unknown: stored.filter((line) => !expected.has(line)),
    // gone from the server (or flagged \Deleted, about to be) without being stored
    lost: box.delivered
      .map((m) => m.messageId.replace(/^<|>$/g, ""))
      .filter((id) => !present.has(id) && !storedIds.has(id)),
  };
}

describe("the worker killed at random moments", () => {
  it(`SIGKILLed ${KILLS} times while collecting with delete-after-fetch on, restarted each time: every message stored exactly once, none deleted on the server unless stored`, {
    timeout: SOAK ? 1_800_000 : 300_000,
  }, async () => {
    const seed = Number(process.env.MAILREG_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
    const random = seeded(seed);
    folder = await testFolder(dovecot, { worker: { concurrency: 4, leaseSeconds: 10 } });
    store = await openTestStore(folder);
    const db = store;
    const target = seedTarget(dovecot);
    let batch = 0;
    const deliver = async (box: Box, count: number) => {
      const messages = [
        ...generateMessages({
          count,
          seed: seed + ++batch * 7919,
          maxSize: 12_000,
          since: new Date(Date.UTC(2026, 0, 1) + batch * 3_600_000),
        }),
      ];
      await seedMaildir(target, box.user.user, "INBOX", messages);
      box.delivered.push(...messages);
    };
    const boxes: Box[] = await Promise.all(
      Array.from({ length: MAILBOXES }, async () => {
        const user = freshUser(dovecot, "crash");
        const mailbox = await applyMailbox(db, folder!.keyring.publicKey, dovecot, user, {
          deleteAfterFetch: true,
          intervalSeconds: 1,
        });
        return { user, mailbox, delivered: [] };
      }),
    );
    for (const box of boxes) await deliver(box, 60);

    const figures = { kills: 0, killedMidRun: 0, storedAtKills: [] as number[], roundMs: [] as number[] };
    const problems: string[] = [];
    /** Whether the worker with this pid holds the lease of a mailbox whose run is open. */
    const inRun = async (pid: number | undefined): Promise<boolean> => {
      const owner = `-${pid}-`;
      const held = new Set(
        (await listLeases(db)).filter((l) => l.owner.includes(owner)).map((l) => l.mailboxId),
      );
      const running = await db.db
        .select({ mailboxId: schema.syncRuns.mailboxId })
        .from(schema.syncRuns)
        .where(eq(schema.syncRuns.status, "running"))
        .all();
      return running.some((r) => held.has(r.mailboxId));
    };
    let lives = 0;
    /**
     * One worker's life: started, then SIGKILLed — every other life at a random time once it said
     * it started (between runs or in one), the others at a random moment of a run it has open (runs
     * are short: left to chance alone, few kills would fall inside one).
     */
    const life = async () => {
      const aimed = lives++ % 2 === 1;
      const worker = spawnWorker(folder!.configPath, servers.caPath);
      children.push(worker);
      await until(
        "the worker started",
        async () => {
          if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
          return worker.lines.some((l) => l.msg === "worker started") ? true : undefined;
        },
        60_000,
      );
      if (aimed) {
        const until = performance.now() + 5_000;
        while (performance.now() < until && !(await inRun(worker.child.pid)))
          await new Promise((resolve) => setTimeout(resolve, 5));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 150)));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 2_400)));
      }
      expect(worker.child.kill("SIGKILL"), worker.stderr()).toBe(true);
      expect(await worker.exited).toMatchObject({ signal: "SIGKILL" });
      figures.kills++;
      // the killed process's leases stay until they expire; a run it had open stays "running"
      if (await inRun(worker.child.pid)) figures.killedMidRun++;
    };
    // two workers at a time, each killed on its own schedule, so leases are taken over too
    for (let round = 0; figures.kills < KILLS; round++) {
      const started = performance.now();
      await Promise.all([life(), life()]);
      figures.roundMs.push(Math.round(performance.now() - started));
      // the full comparison (two dozen doveadm calls) every few rounds and after the last; a loss
      // or a duplicate in between would still show at the end
      if (round % 4 !== 3 && figures.kills < KILLS) {
        for (let i = 0; i < 3; i++) await deliver(boxes[Math.floor(random() * boxes.length)]!, 8);
        continue;
      }
      let total = 0;
      for (const box of boxes) {
        const c = await compare(db, box);
        total += c.stored;
        if (c.duplicated.length + c.unknown.length + c.lost.length > 0)
          problems.push(`after round ${round + 1} (${box.mailbox.address}): ${JSON.stringify(c)}`);
      }
      figures.storedAtKills.push(total);
      expect(problems, `seed ${seed}`).toEqual([]);
      // new mail for a few mailboxes while no worker runs
      for (let i = 0; i < 3; i++) await deliver(boxes[Math.floor(random() * boxes.length)]!, 8);
    }

    // a last worker, left alone, collects everything that is left
    const last = spawnWorker(folder.configPath, servers.caPath);
    children.push(last);
    const delivered = boxes.reduce((n, b) => n + b.delivered.length, 0);
    await until(
      "every mailbox collected and emptied on the server",
      async () => {
        for (const box of boxes) {
          const c = await compare(db, box);
          if (c.stored < box.delivered.length || c.onServer > 0) return undefined;
        }
        return true;
      },
      120_000,
    );
    last.child.kill("SIGTERM");
    expect(await last.exited, last.stderr()).toEqual({ code: 0, signal: null });

    let duplicated = 0;
    let lost = 0;
    for (const box of boxes) {
      const c = await compare(db, box);
      duplicated += c.duplicated.length;
      lost += c.lost.length;
      expect(await storedMessages(db, box.mailbox.id), box.mailbox.address).toEqual(
        expectedMessages(box.delivered),
      );
      expect(c.onServer, box.mailbox.address).toBe(0);
    }
    const progress = figures.storedAtKills.filter((n, i) => n > (figures.storedAtKills[i - 1] ?? 0)).length;
    console.log(
      `crash test (seed ${seed}): ${JSON.stringify({
        kills: figures.kills,
        killedMidRun: figures.killedMidRun,
        checksWithProgress: progress,
        medianRoundMs: [...figures.roundMs].sort((a, b) => a - b)[Math.floor(figures.roundMs.length / 2)],
        messages: delivered,
        storedBeforeLastWorker: figures.storedAtKills.at(-1),
        duplicated,
        lost,
      })}`,
    );
    expect({ duplicated, lost }).toEqual({ duplicated: 0, lost: 0 });
    // the kills really fell during collection, not only between runs
    expect(figures.killedMidRun).toBeGreaterThanOrEqual(Math.floor(KILLS / 3));
    expect(JSON.stringify(children.map((w) => w.lines))).not.toContain("pw-");
  });
});
