import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { newId } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { finishSyncRun, startSyncRun } from "./mail-sync.ts";
import { openStore, type Store } from "./store.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";
import {
  acquireLease,
  backoffSeconds,
  clearSyncRequest,
  finishInterruptedRuns,
  listLeases,
  listMailboxSchedules,
  listSyncRequests,
  mailboxSyncState,
  markRunInterrupted,
  nextSyncDue,
  releaseLease,
  renewLease,
  requestSync,
  SYNC_INTERRUPTED,
  setMailboxSchedule,
} from "./worker-state.ts";

const T0 = new Date("2026-11-25T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function world(
  instanceSettings: Record<string, unknown> = {},
): Promise<{ store: Store; mailboxId: string }> {
  const store = await openMemoryStore();
  return { store, mailboxId: await insertTestMailbox(store, { instanceSettings, now: T0 }) };
}

async function schedule(store: Store, mailboxId: string, defaultIntervalSeconds?: number) {
  const [s] = await listMailboxSchedules(store, {
    mailboxId,
    ...(defaultIntervalSeconds === undefined ? {} : { defaultIntervalSeconds }),
  });
  return s!;
}

describe("leases", () => {
  it("a second worker cannot take a live lease, but takes it over once it expired", async () => {
    const { store, mailboxId } = await world();
    expect(await acquireLease(store, { mailboxId, owner: "w1", seconds: 60, now: T0 })).toBe(true);
    expect(await acquireLease(store, { mailboxId, owner: "w2", seconds: 60, now: at(59) })).toBe(false);
    expect(await acquireLease(store, { mailboxId, owner: "w1", seconds: 60, now: at(30) })).toBe(true);
    expect(await acquireLease(store, { mailboxId, owner: "w2", seconds: 60, now: at(89) })).toBe(false);
    expect(await acquireLease(store, { mailboxId, owner: "w2", seconds: 60, now: at(91) })).toBe(true);
    expect((await listLeases(store, at(91))).map((l) => l.owner)).toEqual(["w2"]);
    store.close();
  });

  it("renewing tells a worker it lost its lease, and releasing leaves another owner's lease alone", async () => {
    const { store, mailboxId } = await world();
    await acquireLease(store, { mailboxId, owner: "w1", seconds: 10, now: T0 });
    expect(await renewLease(store, { mailboxId, owner: "w1", seconds: 10, now: at(5) })).toBe(true);
    await acquireLease(store, { mailboxId, owner: "w2", seconds: 10, now: at(16) });
    expect(await renewLease(store, { mailboxId, owner: "w1", seconds: 10, now: at(17) })).toBe(false);
    expect(await releaseLease(store, { mailboxId, owner: "w1" })).toBe(false);
    expect(await releaseLease(store, { mailboxId, owner: "w2" })).toBe(true);
    expect(await listLeases(store, at(17))).toEqual([]);
    store.close();
  });
});

describe("leases on a file another process writes", () => {
  it("taking a lease waits for the other process's commit without stalling this process, then succeeds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailreg-lease-lock-"));
    const url = `file:${join(dir, "w.db")}`;
    const store = await openStore({ url });
    // another process: a connection of its own, outside this process's write queue
    const other = createClient({ url });
    try {
      const mailboxId = await insertTestMailbox(store, { now: T0 });
      const held = await other.transaction("write");
      await held.execute("update settings set updated_at = updated_at");
      const release = setTimeout(() => void held.commit(), 300);
      let ticks = 0;
      const ticking = setInterval(() => ticks++, 10);
      const started = performance.now();
      const taken = await acquireLease(store, { mailboxId, owner: "w1", seconds: 60 });
      const waited = performance.now() - started;
      clearInterval(ticking);
      clearTimeout(release);
      expect(taken).toBe(true);
      // it waited for the commit (it did not fail or go around it) …
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(2000);
      // … and timers kept firing meanwhile: the wait did not block the event loop (SQLite's own
      // busy handler sleeps on this thread, and the release above could then never have run)
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect((await listLeases(store)).map((l) => l.owner)).toEqual(["w1"]);
    } finally {
      other.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sync requests", () => {
  it("a request made during a run survives clearing the one the run served", async () => {
    const { store, mailboxId } = await world();
    await requestSync(store, mailboxId, { actor: "admin", now: at(1) });
    const [first] = await listSyncRequests(store);
    expect(first).toEqual({ mailboxId, requestedAt: at(1).toISOString(), actor: "admin" });
    await requestSync(store, mailboxId, { now: at(5) });
    await clearSyncRequest(store, mailboxId, first!.requestedAt);
    expect((await listSyncRequests(store)).map((r) => r.requestedAt)).toEqual([at(5).toISOString()]);
    await clearSyncRequest(store, mailboxId, at(5).toISOString());
    expect(await listSyncRequests(store)).toEqual([]);
    store.close();
  });

  it("refuses a request for a mailbox that does not exist", async () => {
    const { store } = await world();
    await expect(requestSync(store, newId())).rejects.toMatchObject({ code: "NOT_FOUND" });
    store.close();
  });
});

describe("when a mailbox is due", () => {
  it("interval comes from the mailbox, else the instance schedule, else the worker default", async () => {
    const { store, mailboxId } = await world({ schedule: { autoFetch: true, intervalSeconds: 600 } });
    expect((await schedule(store, mailboxId, 120)).intervalSeconds).toBe(600);
    await setMailboxSchedule(store, mailboxId, { intervalSeconds: 45 });
    expect((await schedule(store, mailboxId, 120)).intervalSeconds).toBe(45);
    store.close();
    const bare = await world();
    expect((await schedule(bare.store, bare.mailboxId, 120)).intervalSeconds).toBe(120);
    await expect(
      setMailboxSchedule(bare.store, bare.mailboxId, { intervalSeconds: 0.5 }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
    });
    bare.store.close();
  });

  it("a new mailbox is due at once; after a run, its interval plus at most 10 % jitter later", async () => {
    const { store, mailboxId } = await world();
    expect(nextSyncDue(await schedule(store, mailboxId, 100), T0)).toEqual({
      at: T0.toISOString(),
      reason: "new",
    });
    const run = await startSyncRun(store, mailboxId);
    await finishSyncRun(store, run, { status: "ok", fetched: 3, deleted: 0 });
    const s = await schedule(store, mailboxId, 100);
    const next = nextSyncDue(s, T0);
    expect(next.reason).toBe("interval");
    const pause = Date.parse(next.at!) - Date.parse(s.lastRun!.finishedAt!);
    expect(pause).toBeGreaterThanOrEqual(100_000);
    expect(pause).toBeLessThanOrEqual(110_000);
    expect(nextSyncDue(s, T0)).toEqual(next);
    store.close();
  });

  it("failures back off exponentially up to an hour; a success resets it", async () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffSeconds(300, n))).toEqual([
      300, 600, 1200, 2400, 3600, 3600, 3600,
    ]);
    expect(backoffSeconds(7200, 3)).toBe(7200);
    const { store, mailboxId } = await world();
    for (let i = 0; i < 3; i++) {
      const run = await startSyncRun(store, mailboxId);
      await finishSyncRun(store, run, {
        status: "failed",
        fetched: 0,
        deleted: 0,
        errorCode: "MAIL_AUTH_FAILED",
        errorMessage: "no",
      });
    }
    let s = await schedule(store, mailboxId, 60);
    expect(s.consecutiveFailures).toBe(3);
    const next = nextSyncDue(s, T0);
    expect(next.reason).toBe("backoff");
    expect(Date.parse(next.at!) - Date.parse(s.lastRun!.finishedAt!)).toBeGreaterThanOrEqual(240_000);
    const ok = await startSyncRun(store, mailboxId);
    await finishSyncRun(store, ok, { status: "ok", fetched: 0, deleted: 0 });
    s = await schedule(store, mailboxId, 60);
    expect(s.consecutiveFailures).toBe(0);
    expect(s.lastOkAt).toBeDefined();
    store.close();
  });

  it("auto-fetch off (mailbox or instance) means never, unless someone asks for a sync now", async () => {
    const { store, mailboxId } = await world({ schedule: { autoFetch: false } });
    expect(nextSyncDue(await schedule(store, mailboxId), T0)).toEqual({ at: null, reason: "off" });
    await requestSync(store, mailboxId, { now: at(3) });
    expect(nextSyncDue(await schedule(store, mailboxId), T0)).toEqual({
      at: at(3).toISOString(),
      reason: "requested",
    });
    store.close();
  });

  it("a mailbox another worker holds is not due; a dead worker's unfinished run makes it due once its lease expired", async () => {
    const { store, mailboxId } = await world();
    const now = new Date();
    await acquireLease(store, { mailboxId, owner: "w1", seconds: 10, now });
    await startSyncRun(store, mailboxId);
    let s = await schedule(store, mailboxId);
    expect(nextSyncDue(s, now)).toEqual({ at: null, reason: "running" });
    expect(nextSyncDue(s, now, { owner: "w1" }).reason).toBe("interrupted");
    const later = new Date(now.getTime() + 11_000);
    expect(nextSyncDue(s, later).reason).toBe("interrupted");
    expect(await acquireLease(store, { mailboxId, owner: "w2", seconds: 10, now: later })).toBe(true);
    expect(await finishInterruptedRuns(store, mailboxId, { takenOverBy: "w2" })).toBe(1);
    const state = await mailboxSyncState(store, mailboxId, { now: later });
    expect(state).toMatchObject({ status: "failed", runningOn: "w2", consecutiveFailures: 0 });
    expect(state.lastError).toMatchObject({ code: SYNC_INTERRUPTED });
    expect(state.lastError!.message).toContain("taken over by w2");
    s = await schedule(store, mailboxId);
    expect(nextSyncDue(s, later, { owner: "w2" }).reason).toBe("interrupted");
    store.close();
  });

  it("a run stopped early by its worker keeps its status and is due again at once", async () => {
    const { store, mailboxId } = await world();
    const run = await startSyncRun(store, mailboxId);
    await finishSyncRun(store, run, { status: "ok", fetched: 500, deleted: 0 });
    await markRunInterrupted(store, run, "Stopped by SIGTERM after the current chunk");
    const state = await mailboxSyncState(store, mailboxId);
    expect(state).toMatchObject({ status: "ok", fetched: 500, next: { reason: "interrupted" } });
    expect(state.lastError).toBeUndefined();
    store.close();
  });

  it("mailboxSyncState shows the last error even after a later successful run", async () => {
    const { store, mailboxId } = await world();
    const bad = await startSyncRun(store, mailboxId);
    await finishSyncRun(store, bad, {
      status: "failed",
      fetched: 0,
      deleted: 0,
      errorCode: "MAIL_AUTH_FAILED",
      errorMessage: "The server refused the login",
    });
    const good = await startSyncRun(store, mailboxId);
    await finishSyncRun(store, good, { status: "ok", fetched: 7, deleted: 0 });
    const state = await mailboxSyncState(store, mailboxId);
    expect(state).toMatchObject({
      status: "ok",
      fetched: 7,
      lastError: { code: "MAIL_AUTH_FAILED" },
      next: { reason: "interval" },
    });
    await expect(mailboxSyncState(store, newId())).rejects.toMatchObject({ code: "NOT_FOUND" });
    store.close();
  });
});
