import { rm } from "node:fs/promises";
import { jsonLogger } from "@mailreg/core";
import {
  type DovecotInfo,
  type Fault,
  type FaultProxy,
  type GeneratedMessage,
  generateMessages,
  seedMaildir,
  startFaultProxy,
} from "@mailreg/mailservers";
import type { Store } from "@mailreg/store";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  expectedMessages,
  freshUser,
  openTestStore,
  seedTarget,
  storedMessages,
  testFolder,
} from "../test/world.ts";
import { syncMailboxOnce } from "./leased-sync.ts";

// Collection through a fault-injecting proxy between the worker's sync and Dovecot: cuts swept
// across a whole session, random cuts (seeded: the seed is printed), stalls shorter and longer
// than the client's timeouts. After each fault the mailbox is synced again until a run succeeds,
// and the server and the store are compared by Message-ID and SHA-256 after every step.
// MAILREG_SOAK=1 (npm run test:soak) sweeps five times as many points and stalls mid-session for good.

const dovecot = inject("mailservers").dovecot;
const SOAK = process.env.MAILREG_SOAK === "1";
const POINTS = SOAK ? 60 : 12;
const RANDOM_CUTS = SOAK ? 30 : 4;
const TIMEOUT_MS = 1_000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** The Message-IDs of the messages in the user's INBOX (including ones flagged \Deleted, not yet expunged). */
async function onServer(user: string): Promise<string[]> {
  const out = await seedTarget(dovecot).doveadm([
    "-f",
    "tab",
    "fetch",
    "-u",
    user,
    "hdr.message-id",
    "mailbox",
    "INBOX",
    "all",
  ]);
  return out
    .split("\n")
    .slice(1)
    .map((line) => line.trim().replace(/^<|>$/g, ""))
    .filter((line) => line !== "");
}

interface Scenario {
  protocol: "imap" | "pop3";
  deleteAfterFetch: boolean;
}

/** Runs the fault plan against one mailbox and checks it; returns its figures. */
async function runScenario({ protocol, deleteAfterFetch }: Scenario) {
  const proxy: FaultProxy = await startFaultProxy({
    target: { host: dovecot.host, port: protocol === "imap" ? dovecot.imapPort : dovecot.pop3Port },
  });
  const label = `${protocol} delete-after-fetch ${deleteAfterFetch ? "on" : "off"} (seed ${proxy.seed})`;
  // the template (IMAP) and the typed-in server (POP3) both point at the proxy
  const proxied: DovecotInfo = { ...dovecot, imapPort: proxy.port, pop3Port: proxy.port };
  const folder = await testFolder(proxied, { worker: { leaseSeconds: 30 } });
  const store: Store = await openTestStore(folder);
  cleanup.push(async () => {
    await proxy.close();
    store.close();
    await rm(folder.dir, { recursive: true, force: true });
  });
  const user = freshUser(dovecot, "fault");
  const mailbox = await applyMailbox(store, folder.keyring.publicKey, proxied, user, {
    deleteAfterFetch,
    pop3: protocol === "pop3",
    autoFetch: false,
  });
  const deps = {
    config: folder.config,
    store,
    keyring: folder.keyring,
    ca: dovecot.caPem,
    timeoutMs: TIMEOUT_MS,
    chunkMessages: 2,
    logger: jsonLogger(() => {}),
  };
  const delivered: GeneratedMessage[] = [];
  const figures = { faults: 0, failedRuns: 0, recoveryRuns: 0, maxRecovery: 0, duplicated: 0, lost: 0 };
  let round = 0;

  /** Every message gone from the server is stored; nothing is stored twice or that was never delivered. */
  const check = async (when: string) => {
    const stored = await storedMessages(store, mailbox.id);
    const expected = new Set(expectedMessages(delivered));
    const ids = new Set(stored.map((line) => line.split(" ")[0]!));
    const server = new Set(await onServer(user.user));
    const duplicated = stored.filter((line, i) => stored[i - 1] === line);
    const unknown = stored.filter((line) => !expected.has(line));
    const lost = delivered
      .map((m) => m.messageId.replace(/^<|>$/g, ""))
      .filter((id) => !server.has(id) && !ids.has(id));
    figures.duplicated += duplicated.length;
    figures.lost += lost.length;
    expect({ duplicated, unknown, lost }, `${label}, ${when}`).toEqual({
      duplicated: [],
      unknown: [],
      lost: [],
    });
  };

  /** New mail, one faulted run, then runs without faults until one succeeds. */
  const step = async (fault: Fault | undefined, what: string) => {
    round++;
    const messages = [
      ...generateMessages({
        count: 3,
        seed: 7_000 + round,
        maxSize: 2_500,
        since: new Date(Date.UTC(2026, 0, 1) + round * 86_400_000),
      }),
    ];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    delivered.push(...messages);
    const before = proxy.connections.length;
    if (fault !== undefined) proxy.inject(fault, { connections: 1 });
    const first = await syncMailboxOnce(deps, mailbox.id);
    proxy.reset();
    if (!first.ok) throw new Error(`${label}: ${what}: the mailbox could not be claimed (${first.reason})`);
    if (proxy.connections.slice(before).some((c) => c.fired)) figures.faults++;
    await check(`right after ${what}`);
    let summary = first.summary;
    let runs = 0;
    while (summary.status !== "ok") {
      figures.failedRuns++;
      if (++runs > 5)
        throw new Error(`${label}: ${what}: still failing after 5 clean runs: ${summary.error?.message}`);
      const again = await syncMailboxOnce(deps, mailbox.id);
      if (!again.ok) throw new Error(`${label}: the mailbox could not be claimed (${again.reason})`);
      summary = again.summary;
      await check(`after recovery run ${runs} of ${what}`);
    }
    figures.recoveryRuns += runs;
    figures.maxRecovery = Math.max(figures.maxRecovery, runs);
    return proxy.connections.slice(before);
  };

  // one clean run measures the session that the sweep then cuts at evenly spaced points
  const clean = await step(undefined, "a clean run");
  const size = clean.reduce((n, c) => n + c.up + c.down, 0);
  for (let i = 0; i < POINTS; i++) {
    const afterBytes = Math.floor((size * (i + 0.5)) / POINTS);
    await step({ kind: "cut", afterBytes, direction: "both" }, `a cut after ${afterBytes} of ${size} bytes`);
  }
  for (let i = 0; i < RANDOM_CUTS; i++) {
    await step({ kind: "cut-random", withinBytes: size, direction: "both" }, `random cut ${i + 1}`);
  }
  // a server that stops answering during the login: the run gives up after its login budget
  const started = performance.now();
  await step({ kind: "stall", afterBytes: 40, direction: "down" }, "a stall during the login");
  const stalledMs = performance.now() - started;
  expect(stalledMs, label).toBeLessThan(2 * TIMEOUT_MS + 5_000);
  // a pause longer than the connect timeout mid-session: the run waits and finishes
  await step({ kind: "stall", afterBytes: Math.floor(size / 2), direction: "both", ms: 1_500 }, "a pause");
  if (SOAK) {
    // a server that stops answering mid-session for good: the run gives up after the socket timeout
    await step({ kind: "stall", afterBytes: Math.floor(size * 0.6), direction: "both" }, "a stall for good");
  }

  // a last clean run; then every delivered message is stored exactly once, and the server holds
  // what delete-after-fetch says it should
  await step(undefined, "the last clean run");
  expect(await storedMessages(store, mailbox.id), label).toEqual(expectedMessages(delivered));
  const left = await onServer(user.user);
  expect(left.length, `${label}: messages left on the server`).toBe(deleteAfterFetch ? 0 : delivered.length);
  const stats = proxy.stats();
  const result = {
    scenario: label,
    messages: delivered.length,
    rounds: round,
    faultsInjected: stats.faults,
    connections: stats.connections,
    ...figures,
    stalledLoginMs: Math.round(stalledMs),
  };
  console.log(`fault test: ${JSON.stringify(result)}`);
  return result;
}

describe("collection through a faulty network", () => {
  for (const scenario of [
    { protocol: "imap", deleteAfterFetch: true },
    { protocol: "imap", deleteAfterFetch: false },
    { protocol: "pop3", deleteAfterFetch: true },
    { protocol: "pop3", deleteAfterFetch: false },
  ] as const) {
    it(`${scenario.protocol.toUpperCase()} with delete-after-fetch ${scenario.deleteAfterFetch ? "on" : "off"}: cuts at every point of a session and stalls lose nothing, store nothing twice and delete nothing unstored`, {
      timeout: SOAK ? 900_000 : 120_000,
    }, async () => {
      const result = await runScenario(scenario);
      expect(result.faultsInjected).toBeGreaterThanOrEqual(Math.floor(0.8 * (POINTS + RANDOM_CUTS)));
      expect(result.lost + result.duplicated).toBe(0);
    });
  }
});
