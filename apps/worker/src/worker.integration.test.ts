import { rm } from "node:fs/promises";
import { jsonLogger } from "@mailreg/core";
import { generateMessages, seedMaildir } from "@mailreg/mailservers";
import {
  countMessages,
  listLeases,
  listSyncRuns,
  mailboxSyncState,
  requestSync,
  type Store,
} from "@mailreg/store";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  countOnServer,
  expectedMessages,
  freshUser,
  openTestStore,
  seedTarget,
  storedMessages,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";
import { createWorker, type Worker } from "./worker.ts";

const dovecot = inject("mailservers").dovecot;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A folder, its store, and a worker on it whose log lines are kept. */
async function setup(worker: Record<string, unknown> = {}) {
  const folder: TestFolder = await testFolder(dovecot, { worker: { leaseSeconds: 10, ...worker } });
  const store: Store = await openTestStore(folder);
  const lines: Record<string, unknown>[] = [];
  const workers: Worker[] = [];
  const start = (extra: { chunkMessages?: number } = {}) => {
    const w = createWorker({
      config: folder.config,
      store,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      scanMs: 500,
      tickMs: 200,
      ...extra,
    });
    workers.push(w);
    w.start();
    return w;
  };
  cleanup.push(async () => {
    for (const w of workers) await w.stop();
    store.close();
    await rm(folder.dir, { recursive: true, force: true });
  });
  const mailbox = async (count: number, seed: number, options: Parameters<typeof applyMailbox>[4] = {}) => {
    const user = freshUser(dovecot);
    const messages = [...generateMessages({ count, seed })];
    if (count > 0) await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    const row = await applyMailbox(store, folder.keyring.publicKey, dovecot, user, options);
    return { user, messages, mailbox: row };
  };
  return { folder, store, lines, start, mailbox };
}

const stored = (store: Store, mailboxId: string, count: number) => async () =>
  (await countMessages(store, mailboxId)) >= count ? true : undefined;

describe("worker", () => {
  it("collects due mailboxes, leaves auto-fetch-off ones alone, and serves a sync-now request within two seconds", async () => {
    const { store, lines, start, mailbox } = await setup();
    const on = await mailbox(3, 901);
    const off = await mailbox(5, 902, { autoFetch: false });
    start();
    await until("the auto-fetch mailbox", stored(store, on.mailbox.id, 3));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await countMessages(store, off.mailbox.id)).toBe(0);

    // the admin's "sync now" is a row in the store; the worker polls for it
    const asked = Date.now();
    await requestSync(store, off.mailbox.id, { actor: "admin" });
    await until("the requested mailbox", stored(store, off.mailbox.id, 5));
    const [run] = await listSyncRuns(store, off.mailbox.id);
    expect(Date.parse(run!.startedAt) - asked).toBeLessThan(2000);
    expect(await storedMessages(store, off.mailbox.id)).toEqual(expectedMessages(off.messages));

    // the messages are committed before the run is recorded and logged
    const line = await until("the run's log line", async () =>
      lines.find((l) => l.msg === "sync" && l.mailboxId === off.mailbox.id),
    );
    expect(line).toMatchObject({ level: "info", address: off.mailbox.address, status: "ok", fetched: 5 });
    expect(typeof line?.ms).toBe("number");
    const all = JSON.stringify(lines);
    expect(all).not.toContain(on.user.password);
    expect(all).not.toContain(off.user.password);
  });

  it("the worker-wide delete override empties the server folder of a mailbox that says leave; the store keeps every message", async () => {
    const { store, start, mailbox } = await setup({ alwaysDeleteAfterFetch: true });
    const { user, messages, mailbox: row } = await mailbox(12, 903, { deleteAfterFetch: false });
    start();
    await until("all stored", stored(store, row.id, 12));
    await until("the server folder empty", async () =>
      (await countOnServer(dovecot, user.user)) === 0 ? true : undefined,
    );
    expect(await storedMessages(store, row.id)).toEqual(expectedMessages(messages));
    expect((await listSyncRuns(store, row.id))[0]).toMatchObject({ status: "ok", fetched: 12, deleted: 12 });
  });

  it("a wrong password shows a clear error and a backoff in the mailbox's state and does not stop the others; never more runs at once than the concurrency limit", async () => {
    const { folder, store, start, mailbox } = await setup({ concurrency: 2 });
    const good = await Promise.all([1, 2, 3, 4].map((i) => mailbox(30, 910 + i)));
    const user = freshUser(dovecot);
    const bad = await applyMailbox(store, folder.keyring.publicKey, dovecot, {
      user: user.user,
      password: "wrong-pw",
    });
    const worker = start();
    for (const g of good) await until("a good mailbox", stored(store, g.mailbox.id, 30));
    await until("the bad mailbox's failed run", async () =>
      (await listSyncRuns(store, bad.id))[0]?.status === "failed" ? true : undefined,
    );
    for (const g of good)
      expect(await storedMessages(store, g.mailbox.id)).toEqual(expectedMessages(g.messages));

    const state = await mailboxSyncState(store, bad.id);
    expect(state).toMatchObject({
      status: "failed",
      consecutiveFailures: 1,
      lastError: { code: "MAIL_AUTH_FAILED" },
      next: { reason: "backoff" },
    });
    expect(state.lastError!.message).toMatch(/refused the login|log ?in/i);
    expect(state.lastError!.message).not.toContain("wrong-pw");
    expect(Date.parse(state.next.at!) - Date.parse(state.lastRun!.finishedAt!)).toBeGreaterThanOrEqual(
      300_000,
    );

    // at no moment more than two runs of this worker overlapped (stopped first: a good mailbox's
    // next run may have begun after its messages were counted, and would have no end yet)
    await worker.stop();
    const runs = (
      await Promise.all([...good.map((g) => g.mailbox.id), bad.id].map((id) => listSyncRuns(store, id)))
    ).flat();
    const edges = runs.flatMap((r) => [
      { t: r.startedAt, d: 1 },
      { t: r.finishedAt!, d: -1 },
    ]);
    edges.sort((a, b) => a.t.localeCompare(b.t) || a.d - b.d);
    let open = 0;
    let peak = 0;
    for (const e of edges) {
      open += e.d;
      peak = Math.max(peak, open);
    }
    expect(peak).toBe(2);

    const metrics = await worker.metrics.registry.metrics();
    expect(metrics).toContain(`mailreg_worker_errors_total{mailbox="${bad.id}",code="MAIL_AUTH_FAILED"} 1`);
    expect(metrics).toContain(`mailreg_worker_messages_total{mailbox="${good[0]!.mailbox.id}"} 30`);
    expect(metrics).toMatch(new RegExp(`mailreg_worker_lag_seconds\\{mailbox="${bad.id}"\\} \\d`));
  });

  it("stop() ends a run after its current chunk and releases the lease; the next worker resumes with nothing twice", async () => {
    const { store, start, mailbox } = await setup();
    const { messages, mailbox: row } = await mailbox(1500, 920);
    const first = start({ chunkMessages: 100 });
    await until("the first chunks", async () =>
      (await countMessages(store, row.id)) >= 100 ? true : undefined,
    );
    await first.stop();
    // what was read before the stop is committed and recorded; nothing is left running or leased
    const partial = await countMessages(store, row.id);
    expect(await listLeases(store)).toEqual([]);
    const state = await mailboxSyncState(store, row.id);
    expect(state).toMatchObject({ status: "ok", fetched: partial });
    expect(partial).toBeLessThan(1500);
    expect(state.next.reason).toBe("interrupted");

    start({ chunkMessages: 100 });
    await until("the rest", stored(store, row.id, 1500));
    expect(await storedMessages(store, row.id)).toEqual(expectedMessages(messages));
  });
});
