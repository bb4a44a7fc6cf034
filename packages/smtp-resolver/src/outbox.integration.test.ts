// The outbox's logic over the in-memory queue, against the real SMTP sink. The store's queue has
// the same promises; apps/worker's outbox-store.integration.test.ts runs this logic over it
// (several connections, a killed process).
import { isMailregError, validateConfig } from "@mailreg/core";
import { testKeyring } from "@mailreg/crypto-registry/testing";
import { rejectByLocalPart, type SinkRule, type SmtpSinkHandle, startSmtpSink } from "@mailreg/mailservers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testMailbox } from "../test/fixtures.ts";
import { type MemoryOutbox, type MemoryOutboxEntry, memoryOutbox } from "./memory-outbox.ts";
import { deliverDue, drainOutbox, enqueue } from "./outbox.ts";
import { Sender, type SendTarget } from "./sender.ts";
import { configTargets } from "./targets.ts";

let sink: SmtpSinkHandle;
let outbox: MemoryOutbox;
let mailboxId: string;
let sender: Sender;

const T0 = new Date("2026-11-25T12:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const target = async (): Promise<SendTarget> => ({
  settings: { host: sink.host, port: sink.port, tls: { verify: true } },
  credentials: { method: "none" },
});
const fixedJitter = () => 0.5;
const deliver = (now: Date, extra: Partial<Parameters<typeof deliverDue>[2]> = {}) =>
  deliverDue(outbox, sender, {
    targetFor: target,
    now,
    backoff: { baseMs: 1000, maxMs: 60_000 },
    random: fixedJitter,
    ...extra,
  });
const receivedIds = () => sink.messages.map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim());

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.stop();
});
const entry = (id: string): MemoryOutboxEntry | undefined => outbox.entries().find((e) => e.id === id);

beforeEach(async () => {
  const { mailbox } = await testMailbox({ address: "ann@example.org" });
  mailboxId = mailbox.id;
  outbox = memoryOutbox({ mailboxes: [mailbox] });
  sender = new Sender();
  sink.clear();
  sink.failWith(undefined);
});
afterEach(() => {
  sender.close();
});

describe("enqueue()", () => {
  it("stores the message with its Message-ID before any attempt, due now", async () => {
    const queued = await enqueue(outbox, {
      mailboxId,
      message: { to: "bob@example.org", subject: "Hi", text: "Hello" },
      at: T0,
    });
    expect(queued).toMatchObject({ status: "queued", created: true });
    const row = entry(queued.id);
    expect(row).toMatchObject({
      messageId: queued.messageId,
      attempts: 0,
      nextAttemptAt: T0,
      envelope: { from: "ann@example.org", to: ["bob@example.org"] },
    });
    expect(new TextDecoder().decode(row?.raw)).toContain(`Message-ID: ${queued.messageId}`);
    expect(sink.messages).toHaveLength(0);
  });

  it("queues a message once per Message-ID, however often it is handed in", async () => {
    const raw = "Message-ID: <same@example.org>\r\nFrom: ann@example.org\r\nTo: bob@example.org\r\n\r\nx\r\n";
    const first = await enqueue(outbox, { mailboxId, raw });
    const again = await enqueue(outbox, { mailboxId, raw });
    expect(again).toEqual({ ...first, created: false });
    expect(outbox.counts().queued).toBe(1);
  });

  it("refuses an unknown mailbox", async () => {
    await expect(
      enqueue(outbox, {
        mailboxId: "0193a4f2-7c1e-7000-8000-000000000001",
        message: { to: "b@example.org" },
      }),
    ).rejects.toSatisfy((e) => isMailregError(e, "NOT_FOUND"));
  });
});

describe("deliverDue()", () => {
  it("sends every due message once and marks it sent with the server's answer", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await enqueue(outbox, { mailboxId, message: { to: `r${i}@example.org`, text: `${i}` }, at: T0 }))
          .messageId,
      );
    const report = await deliver(T0);
    expect(report).toMatchObject({ claimed: 5, sent: 5, retried: 0, failed: 0, skipped: 0 });
    expect(receivedIds()).toEqual(ids);
    const rows = outbox.entries();
    expect(rows.map((r) => [r.status, r.attempts, r.sentFolder])).toEqual(Array(5).fill(["sent", 1, null]));
    expect(rows[0]?.response).toMatch(/^250 2\.0\.0 Accepted as message \d+$/);
    expect((await deliver(at(3_600_000))).claimed).toBe(0);
    expect(sink.messages).toHaveLength(5);
  });

  it("retries a 4xx answer with backoff and then delivers it once", async () => {
    let refusals = 0;
    const busyOnce: SinkRule = (e) =>
      e.stage === "rcpt" && refusals++ === 0 ? { code: 451, message: "4.3.0 Try again later" } : undefined;
    sink.failWith(busyOnce);
    const { id, messageId } = await enqueue(outbox, {
      mailboxId,
      message: { to: "bob@example.org", text: "x" },
      at: T0,
    });

    const first = await deliver(T0);
    expect(first).toMatchObject({ claimed: 1, retried: 1 });
    expect(first.outcomes[0]?.error?.code).toBe("SMTP_TEMPORARY");
    const waiting = entry(id);
    expect(waiting).toMatchObject({
      status: "queued",
      attempts: 1,
      errorCode: "SMTP_TEMPORARY",
      response: "451 4.3.0 Try again later",
      claimToken: null,
    });
    expect(waiting?.lastError).toMatch(/refused the message for now: 451 4\.3\.0 Try again later$/);
    // first delay: base 1000 ms, half of it jittered away at random (0.5 here): 750 ms after the attempt
    const due = waiting?.nextAttemptAt?.getTime() ?? Number.NaN;
    expect(due - T0.getTime()).toBeGreaterThanOrEqual(750);
    expect(due - T0.getTime()).toBeLessThan(1000);

    expect((await deliver(at(500))).claimed).toBe(0);
    const second = await deliver(new Date(due));
    expect(second).toMatchObject({ claimed: 1, sent: 1 });
    expect(entry(id)).toMatchObject({
      status: "sent",
      attempts: 2,
      lastError: null,
      errorCode: null,
    });
    expect(receivedIds()).toEqual([messageId]);
  });

  it("fails a 5xx answer for good after one attempt, keeping the server's answer", async () => {
    sink.failWith(rejectByLocalPart);
    const { id } = await enqueue(outbox, {
      mailboxId,
      message: { to: "reject-550@example.org", text: "x" },
      at: T0,
    });
    const report = await deliver(T0);
    expect(report).toMatchObject({ claimed: 1, failed: 1 });
    expect(entry(id)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorCode: "SMTP_PERMANENT",
      response: "550 5.1.1 Mailbox unavailable",
      nextAttemptAt: null,
    });
    expect((await deliver(at(86_400_000))).claimed).toBe(0);
    expect(sink.messages).toHaveLength(0);
  });

  it("gives up on a temporary failure after the last allowed attempt", async () => {
    sink.failWith(rejectByLocalPart);
    const { id } = await enqueue(outbox, {
      mailboxId,
      message: { to: "reject-421@example.org", text: "x" },
      at: T0,
    });
    const options = { backoff: { baseMs: 10, maxAttempts: 2 } };
    expect((await deliver(T0, options)).retried).toBe(1);
    expect((await deliver(at(1000), options)).failed).toBe(1);
    const row = entry(id);
    expect(row).toMatchObject({ status: "failed", attempts: 2, errorCode: "SMTP_TEMPORARY" });
    expect(row?.lastError).toMatch(/^Gave up after 2 attempts: /);
  });

  it("keeps mail queued with the reason while the mailbox has no usable SMTP server", async () => {
    const { id } = await enqueue(outbox, {
      mailboxId,
      message: { to: "bob@example.org", text: "x" },
      at: T0,
    });
    const targetFor = configTargets({
      config: validateConfig({ instances: [{ id: "test", label: "Test" }] }),
      keyring: await testKeyring(),
    });
    const report = await deliver(T0, { targetFor });
    expect(report.outcomes[0]?.error?.code).toBe("SMTP_NOT_CONFIGURED");
    const row = entry(id);
    expect(row).toMatchObject({ status: "queued", errorCode: "SMTP_NOT_CONFIGURED" });
    expect(row?.lastError).toContain("smtp.default is not set");
  });

  it("records recipients the server refused while accepting the others", async () => {
    sink.failWith(rejectByLocalPart);
    const { id } = await enqueue(outbox, {
      mailboxId,
      message: { to: ["bob@example.org", "reject-550@example.org"], text: "x" },
      at: T0,
    });
    expect((await deliver(T0)).sent).toBe(1);
    const row = entry(id);
    expect(row?.status).toBe("sent");
    expect(row?.lastError).toBe("Not accepted for reject-550@example.org (550 5.1.1 Mailbox unavailable)");
    expect(sink.messages[0]?.rcptTo).toEqual(["bob@example.org"]);
  });

  it("never lets two deliverers on one queue send the same message", async () => {
    const count = 60;
    const queued = new Set<string>();
    for (let i = 0; i < count; i++)
      queued.add(
        (await enqueue(outbox, { mailboxId, message: { to: `r${i}@example.org`, text: `${i}` }, at: T0 }))
          .messageId,
      );
    const otherSender = new Sender();
    const loop = async (snd: Sender) => {
      let sent = 0;
      for (;;) {
        const r = await deliverDue(outbox, snd, { targetFor: target, now: T0, limit: 7, window: 4 });
        if (r.claimed === 0) return sent;
        sent += r.sent;
      }
    };
    try {
      const [a, b] = await Promise.all([loop(sender), loop(otherSender)]);
      expect(a + b).toBe(count);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
    } finally {
      otherSender.close();
    }
    const ids = receivedIds();
    expect(ids).toHaveLength(count);
    expect(new Set(ids)).toEqual(queued);
  });

  it("hands a claimed message to another deliverer only after its claim expired", async () => {
    const { id, messageId } = await enqueue(outbox, {
      mailboxId,
      message: { to: "bob@example.org", text: "x" },
      at: T0,
    });
    const [claimed] = await outbox.queue.claimDue({
      token: "crashed-deliverer",
      now: T0,
      leaseMs: 60_000,
      limit: 10,
    });
    expect(claimed?.id).toBe(id);
    expect((await deliver(at(59_000))).claimed).toBe(0);
    const report = await deliver(at(60_000));
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    expect(entry(id)).toMatchObject({ status: "sent", attempts: 2 });
    expect(receivedIds()).toEqual([messageId]);
  });
});

describe("drainOutbox()", () => {
  it("claims no more once its signal is aborted: the batch it holds is finished, the rest stays queued", async () => {
    for (let i = 0; i < 12; i++)
      await enqueue(outbox, { mailboxId, message: { to: `d${i}@example.org`, text: `${i}` }, at: T0 });
    const stop = new AbortController();
    const report = await drainOutbox(outbox, sender, {
      // the worker's SIGTERM arrives while the first batch is on its way
      targetFor: async () => {
        stop.abort();
        return await target();
      },
      now: T0,
      limit: 5,
      lanes: 1,
      signal: stop.signal,
    });
    expect(report).toMatchObject({ claimed: 5, sent: 5 });
    expect(outbox.counts()).toEqual({ queued: 7, sending: 0, sent: 5, failed: 0 });
    expect(receivedIds()).toHaveLength(5);
  });
});
