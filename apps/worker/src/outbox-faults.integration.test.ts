import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTestCertificate,
  type Fault,
  type FaultProxy,
  type SmtpSinkHandle,
  startFaultProxy,
  startSmtpSink,
} from "@mailreg/mailservers";
import { configTargets, deliverDue, enqueue, Sender } from "@mailreg/smtp-resolver";
import { countOutbox, getOutboxMessage, type Store, storeOutbox } from "@mailreg/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  freshUser,
  INSTANCE,
  openTestStore,
  type TestFolder,
  testFolder,
} from "../test/world.ts";

// Outbox delivery through a fault-injecting proxy between the sender and an SMTP sink (STARTTLS,
// certificate checked): cuts swept across a whole SMTP session, random cuts (seeded: the seed is
// printed), and a slow link. After every fault the outbox is delivered again (the clock moved past
// the backoff) until nothing is due, and the sink and the outbox are compared by Message-ID.
//
// What SMTP cannot avoid: when the connection dies after the server has taken the final "." of
// DATA but before its 250 reaches the sender, the sender cannot know the message arrived and must
// send it again (RFC 5321 §4.1.1.4 puts the responsibility on the server once it said 250, and the
// sender never heard it). Such a duplicate is counted, never a loss; every other cut must cost
// neither. The deterministic case is reproduced on its own below.
// MAILREG_SOAK=1 (npm run test:soak) sweeps five times as many points.

const { dovecot } = inject("mailservers");
const SOAK = process.env.MAILREG_SOAK === "1";
const POINTS = SOAK ? 60 : 14;
const RANDOM_CUTS = SOAK ? 30 : 6;
const TIMEOUT_MS = 1_500;

let dir: string;
let sink: SmtpSinkHandle;
let caPem: string;
let cleanup: (() => Promise<void>)[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "outbox-faults-"));
  const certificate = await createTestCertificate(dir);
  caPem = certificate.certPem;
  sink = await startSmtpSink({ certificate });
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  await sink.stop();
  await rm(dir, { recursive: true, force: true });
});

interface World {
  proxy: FaultProxy;
  folder: TestFolder;
  store: Store;
  mailboxId: string;
}

/** A folder whose instance sends through a fault proxy in front of the sink, and one mailbox. */
async function world(): Promise<World> {
  const proxy = await startFaultProxy({ target: { host: sink.host, port: sink.port }, record: true });
  const folder = await testFolder(dovecot, {
    instances: [
      {
        id: INSTANCE,
        label: "Test",
        smtp: { host: proxy.host, port: proxy.port, security: "starttls", tls: { servername: "localhost" } },
      },
    ],
  });
  const store = await openTestStore(folder);
  cleanup.push(async () => {
    await proxy.close();
    store.close();
    await rm(folder.dir, { recursive: true, force: true });
  });
  const mailbox = await applyMailbox(store, folder.keyring.publicKey, dovecot, freshUser(dovecot, "obf"), {
    autoFetch: false,
  });
  return { proxy, folder, store, mailboxId: mailbox.id };
}

/** Copies at the sink per Message-ID, for messages to `to`. */
function copiesAtSink(to: string): Map<string, number> {
  const copies = new Map<string, number>();
  for (const m of sink.messages) {
    if (!m.rcptTo.includes(to)) continue;
    const id = /^Message-ID: *(.*)$/im.exec(m.raw)?.[1]?.trim() ?? "?";
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return copies;
}

/**
 * Delivers what is due through a fresh sender (so the step's fault meets a new connection), then
 * again with the clock moved past every backoff, until nothing is queued. Returns the rounds needed.
 */
async function deliverAll(w: World, fault: Fault | undefined): Promise<{ rounds: number; fired: boolean }> {
  const targetFor = configTargets({ config: w.folder.config, keyring: w.folder.keyring });
  const before = w.proxy.connections.length;
  let now = Date.now();
  let rounds = 0;
  for (;;) {
    const sender = new Sender({ ca: caPem, timeoutMs: TIMEOUT_MS });
    if (rounds === 0 && fault !== undefined) w.proxy.inject(fault, { connections: 1 });
    try {
      await deliverDue(storeOutbox(w.store), sender, {
        targetFor,
        now: new Date(now),
        leaseMs: 60_000,
        backoff: { baseMs: 1_000, maxMs: 1_000, maxAttempts: 50 },
      });
    } finally {
      w.proxy.reset();
      sender.close();
    }
    rounds++;
    const counts = await countOutbox(w.store);
    if (counts.queued === 0 && counts.sending === 0) break;
    if (rounds > 8) throw new Error(`still not delivered after ${rounds} rounds: ${JSON.stringify(counts)}`);
    now += 2_000; // past the backoff
  }
  return { rounds, fired: w.proxy.connections.slice(before).some((c) => c.fired) };
}

describe("outbox delivery through a faulty network", () => {
  it("cuts at every point of an SMTP session and at random lose no outbox message; a duplicate only where SMTP cannot avoid one", {
    timeout: SOAK ? 900_000 : 120_000,
  }, async () => {
    const w = await world();
    const to = `faults-${w.mailboxId}@example.test`;
    const queued: string[] = [];
    const figures = { faults: 0, steps: 0, extraRounds: 0, duplicated: 0, lost: 0, failed: 0 };
    const step = async (fault: Fault | undefined) => {
      figures.steps++;
      for (let i = 0; i < 2; i++) {
        const q = await enqueue(storeOutbox(w.store), {
          mailboxId: w.mailboxId,
          message: {
            to,
            subject: `step ${figures.steps}.${i}`,
            text: `body ${figures.steps}.${i}\n`.repeat(40),
          },
        });
        queued.push(q.messageId);
      }
      const { rounds, fired } = await deliverAll(w, fault);
      if (fired) figures.faults++;
      figures.extraRounds += rounds - 1;
    };

    await step(undefined);
    const clean = w.proxy.connections.at(-1)!;
    const size = clean.up + clean.down;
    for (let i = 0; i < POINTS; i++) {
      await step({ kind: "cut", afterBytes: Math.floor((size * (i + 0.5)) / POINTS), direction: "both" });
    }
    for (let i = 0; i < RANDOM_CUTS; i++)
      await step({ kind: "cut-random", withinBytes: size, direction: "both" });
    await step({ kind: "slow", bytesPerSecond: 20_000 });
    await step(undefined);

    const copies = copiesAtSink(to);
    for (const id of queued) {
      const n = copies.get(id) ?? 0;
      if (n === 0) figures.lost++;
      if (n > 1) figures.duplicated += n - 1;
    }
    const counts = await countOutbox(w.store);
    figures.failed = counts.failed;
    console.log(
      `outbox fault test (seed ${w.proxy.seed}): ${JSON.stringify({ messages: queued.length, faultsInjected: w.proxy.stats().faults, connections: w.proxy.stats().connections, ...figures })}`,
    );
    expect(figures.lost, "messages queued but never at the sink").toBe(0);
    expect(counts).toEqual({ queued: 0, sending: 0, sent: queued.length, failed: 0 });
    expect([...copies.keys()].sort()).toEqual([...queued].sort());
    // a cut can orphan at most the one message whose 250 it swallowed
    expect(figures.duplicated).toBeLessThanOrEqual(figures.faults);
    expect(figures.faults).toBeGreaterThanOrEqual(Math.floor(0.8 * (POINTS + RANDOM_CUTS)));
  });

  it("a cut just before the final '.' reaches the server costs nothing; a cut after the server took it but before its 250 arrives sends it twice, and the outbox records it once", async () => {
    const w = await world();
    const to = `dot-${w.mailboxId}@example.test`;
    const send = async (fault: Fault | undefined, n: number) => {
      const q = await enqueue(storeOutbox(w.store), {
        mailboxId: w.mailboxId,
        message: { to, subject: `dot ${n}`, text: `message ${n}\n` },
      });
      const { fired } = await deliverAll(w, fault);
      return { messageId: q.messageId, id: q.id, fired };
    };
    // measure a clean session: the last bytes up are the terminating ".\r\n", which nodemailer
    // writes on its own: one TLS 1.3 record of 3 + 1 + 16 (AEAD tag) + 5 (header) = 25 bytes
    const clean = await send(undefined, 0);
    const session = w.proxy.connections.at(-1)!;
    const lastUp = 25;
    // the same session shape for the next message (same sizes: same subject and body lengths)
    const beforeDot = await send({ kind: "cut", afterBytes: session.up - lastUp, direction: "up" }, 1);
    // the sink has kept message 2 and is about to answer 250: the connection dies right there (the
    // sink's hook cuts it at the proxy, so no byte of the 250 can slip through, however busy the machine)
    let cutAt250 = 0;
    sink.beforeReply((m) => {
      if (cutAt250 === 0 && m.rcptTo.includes(to) && m.raw.includes("message 2")) cutAt250 = w.proxy.cutAll();
    });
    const before250 = await send(undefined, 2);
    sink.beforeReply(undefined);
    const copies = copiesAtSink(to);
    const figures = {
      clean: copies.get(clean.messageId),
      cutBeforeDot: copies.get(beforeDot.messageId),
      cutBefore250: copies.get(before250.messageId),
    };
    console.log(`outbox: copies at the sink per case ${JSON.stringify(figures)}`);
    expect(beforeDot.fired).toBe(true);
    expect(cutAt250).toBe(1);
    expect(figures).toEqual({ clean: 1, cutBeforeDot: 1, cutBefore250: 2 });
    // the outbox holds it once, as sent
    expect(await getOutboxMessage(w.store, before250.id)).toMatchObject({ status: "sent" });
  });
});
