import { rm } from "node:fs/promises";
import { generateMessages, seedMaildir } from "@mailreg/mailservers";
import {
  countMessages,
  listLeases,
  listSyncRuns,
  mailboxSyncState,
  type Store,
  type SyncRunRow,
  schema,
} from "@mailreg/store";
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

const servers = inject("mailservers");
const dovecot = servers.dovecot;
const children: WorkerProcess[] = [];
let folder: TestFolder | undefined;
let store: Store | undefined;
afterAll(async () => {
  for (const w of children)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  store?.close();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

/** Runs of one mailbox overlapping in time (there must be none). */
function overlaps(runs: SyncRunRow[]): string[] {
  const sorted = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const out: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const run = sorted[i]!;
    if (before.finishedAt === null || run.startedAt < before.finishedAt) {
      out.push(`${before.id} (${before.startedAt}–${before.finishedAt}) and ${run.id} (${run.startedAt})`);
    }
  }
  return out;
}

describe("two worker processes on one database", () => {
  it("share 20 mailboxes without ever syncing one twice at once; a SIGKILLed worker loses and duplicates nothing; a wrong password stays the one mailbox's problem", {
    timeout: 90_000,
  }, async () => {
    folder = await testFolder(dovecot, { worker: { concurrency: 3, leaseSeconds: 10 } });
    store = await openTestStore(folder);
    const db = store;
    const target = seedTarget(dovecot);
    const BIG = 8000;
    const mailboxes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const user = freshUser(dovecot, "two");
        const messages = [
          ...generateMessages({ count: i === 0 ? BIG : 40 + i, seed: 2000 + i, maxSize: 6000 }),
        ];
        await seedMaildir(target, user.user, "INBOX", messages);
        const mailbox = await applyMailbox(db, folder!.keyring.publicKey, dovecot, user, {
          intervalSeconds: 2,
        });
        return { user, messages, mailbox };
      }),
    );
    const big = mailboxes[0]!;
    const wrong = await applyMailbox(db, folder.keyring.publicKey, dovecot, {
      ...freshUser(dovecot),
      password: "nope",
    });

    const a = spawnWorker(folder.configPath, servers.caPath);
    const b = spawnWorker(folder.configPath, servers.caPath);
    children.push(a, b);

    // the big mailbox mid-sync: kill whichever process holds its lease
    const holder = await until(
      "the big mailbox half collected",
      async () => {
        const n = await countMessages(db, big.mailbox.id);
        const lease = (await listLeases(db)).find((l) => l.mailboxId === big.mailbox.id);
        return n >= 500 && n <= BIG - 2000 && lease !== undefined ? lease.owner : undefined;
      },
      40_000,
    );
    const victim = [a, b].find((w) => holder.includes(`-${w.child.pid}-`))!;
    const survivor = victim === a ? b : a;
    victim.child.kill("SIGKILL");
    const killedAt = await countMessages(db, big.mailbox.id);
    expect(await victim.exited).toMatchObject({ signal: "SIGKILL" });

    // new mail arrives meanwhile; the killed worker starts again
    const more = await Promise.all(
      mailboxes.slice(1, 6).map(async (m, i) => {
        const extra = [
          ...generateMessages({ count: 7, seed: 3000 + i, since: new Date("2026-01-01T00:00:00Z") }),
        ];
        await seedMaildir(target, m.user.user, "INBOX", extra);
        m.messages.push(...extra);
        return extra.length;
      }),
    );
    expect(more).toEqual([7, 7, 7, 7, 7]);
    const restarted = spawnWorker(folder.configPath, servers.caPath);
    children.push(restarted);

    for (const m of mailboxes) {
      await until(
        `mailbox ${m.mailbox.address} complete`,
        async () => ((await countMessages(db, m.mailbox.id)) >= m.messages.length ? true : undefined),
        40_000,
      );
    }
    const wrongState = await until("the wrong password's failure", async () => {
      const state = await mailboxSyncState(db, wrong.id);
      return state.status === "failed" ? state : undefined;
    });

    survivor.child.kill("SIGTERM");
    restarted.child.kill("SIGTERM");
    const ends = await Promise.all([survivor.exited, restarted.exited]);
    expect(ends, survivor.stderr() + restarted.stderr()).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);

    // the store against the server: every message once, by Message-ID and content hash
    for (const m of mailboxes) {
      expect(await storedMessages(db, m.mailbox.id), m.mailbox.address).toEqual(expectedMessages(m.messages));
    }
    expect(killedAt).toBeLessThan(BIG);

    // never two runs of one mailbox at once, across the three processes
    for (const m of [...mailboxes.map((x) => x.mailbox), wrong]) {
      expect(overlaps(await listSyncRuns(db, m.id, { limit: 1000 })), m.address).toEqual([]);
    }

    // the killed run was closed when another worker took the mailbox over
    const bigRuns = await listSyncRuns(db, big.mailbox.id, { limit: 1000 });
    const interrupted = bigRuns.filter((r) => r.errorCode === "SYNC_INTERRUPTED" && r.status === "failed");
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    expect(interrupted[0]!.errorMessage).toContain("taken over by worker-");

    // both first processes collected mail before the kill; the restarted one took its share after
    const collected = (w: WorkerProcess) =>
      w.lines.filter((l) => l.msg === "sync" && l.status === "ok" && Number(l.fetched) > 0).length;
    expect(collected(a)).toBeGreaterThan(0);
    expect(collected(b)).toBeGreaterThan(0);
    expect(restarted.lines.filter((l) => l.msg === "sync").length).toBeGreaterThan(0);

    // a clear error for the wrong password, in its state only
    expect(wrongState.lastError).toMatchObject({ code: "MAIL_AUTH_FAILED" });
    expect(wrongState.lastError!.message).not.toContain("nope");

    // after SIGTERM nothing is left leased or running
    expect(await listLeases(db)).toEqual([]);
    const running = await db.db
      .select()
      .from(schema.syncRuns)
      .where(eq(schema.syncRuns.status, "running"))
      .all();
    expect(running).toEqual([]);
    for (const w of [victim, survivor, restarted]) expect(JSON.stringify(w.lines)).not.toContain("pw-");
  });
});
