import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { jsonLogger } from "@mailreg/core";
import { readSpool, waitForSpool } from "@mailreg/mailservers";
import { enqueue } from "@mailreg/smtp-resolver";
import { countOutbox, getOutboxMessage, type Store, storeOutbox } from "@mailreg/store";
import { afterEach, describe, expect, inject, it } from "vitest";
import { spawnWorker, type WorkerProcess } from "../test/worker-process.ts";
import {
  applyMailbox,
  freshUser,
  INSTANCE,
  openTestStore,
  seedTarget,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";
import { createWorker, type Worker } from "./worker.ts";

const servers = inject("mailservers");
const { dovecot, smtpSink } = servers;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A folder whose instance sends through the SMTP sink (STARTTLS, certificate checked), and its store. */
async function setup(): Promise<{ folder: TestFolder; store: Store }> {
  const folder = await testFolder(dovecot, {
    instances: [
      {
        id: INSTANCE,
        label: "Test",
        smtp: {
          host: smtpSink.host,
          port: smtpSink.port,
          security: "starttls",
          tls: { servername: dovecot.servername },
        },
      },
    ],
  });
  const store = await openTestStore(folder);
  cleanup.push(async () => {
    store.close();
    await rm(folder.dir, { recursive: true, force: true });
  });
  return { folder, store };
}

/** Where a message with this Message-ID lies in the user's mailboxes, and its flags, per doveadm. */
async function copiesOf(user: string, messageId: string): Promise<{ mailbox: string; flags: string[] }[]> {
  const out = await seedTarget(dovecot).doveadm([
    "fetch",
    "-u",
    user,
    "mailbox flags",
    "header",
    "message-id",
    messageId,
  ]);
  // \Recent is a session flag the server sets on new messages, not one a client stores
  return [...out.matchAll(/^mailbox: (.*)\nflags: (.*)$/gm)].map((m) => ({
    mailbox: m[1]!,
    flags: m[2]!.split(" ").filter((f) => f !== "\\Recent"),
  }));
}

const sinkCopies = (to: string) => readSpool(smtpSink.spoolDir).filter((m) => m.rcptTo.includes(to));

describe("the worker delivers the outbox", () => {
  it("sends a queued message once through the instance's SMTP server and files it in the mailbox's Sent folder, read; a refused one fails with the server's answer", async () => {
    const { folder, store } = await setup();
    const user = freshUser(dovecot, "ob");
    const mailbox = await applyMailbox(store, folder.keyring.publicKey, dovecot, user, { autoFetch: false });
    const to = `outbox-${randomUUID()}@example.test`;
    const queued = await enqueue(storeOutbox(store), {
      mailboxId: mailbox.id,
      message: { to, subject: "Quarterly figures", text: "The body stays out of the logs" },
    });
    const refused = await enqueue(storeOutbox(store), {
      mailboxId: mailbox.id,
      message: { to: "reject-550@example.test", subject: "Refused", text: "x" },
    });

    const lines: Record<string, unknown>[] = [];
    const worker: Worker = createWorker({
      config: folder.config,
      store,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      tickMs: 200,
      outboxMs: 200,
    });
    worker.start();
    cleanup.push(() => worker.stop());

    const [arrived] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to), {
      timeoutMs: 10_000,
    });
    expect(arrived!.raw).toContain(`Message-ID: ${queued.messageId}`);
    const sent = await until("the Sent-folder copy on record", async () => {
      const row = await getOutboxMessage(store, queued.id);
      return row.sentFolder === null ? undefined : row;
    });
    expect(sent).toMatchObject({ status: "sent", sentFolder: "Sent", lastError: null });
    expect(await copiesOf(user.user, queued.messageId)).toEqual([{ mailbox: "Sent", flags: ["\\Seen"] }]);
    await until("the refused message failed", async () =>
      (await getOutboxMessage(store, refused.id)).status === "failed" ? true : undefined,
    );

    // several more rounds of the outbox loop later, the message is still at the sink once
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sinkCopies(to)).toHaveLength(1);
    expect(await countOutbox(store)).toEqual({ queued: 0, sending: 0, sent: 1, failed: 1 });

    // one line per message: ids, status, the server's answer; no content, no password
    const sendLines = lines.filter((l) => l.msg === "send");
    expect(sendLines).toHaveLength(2);
    expect(sendLines.find((l) => l.outboxId === queued.id)).toMatchObject({
      level: "info",
      status: "sent",
      mailboxId: mailbox.id,
      messageId: queued.messageId,
      sentFolder: "Sent",
      worker: worker.owner,
    });
    expect(sendLines.find((l) => l.outboxId === refused.id)).toMatchObject({
      level: "error",
      status: "failed",
      errorCode: "SMTP_PERMANENT",
    });
    const logged = JSON.stringify(lines);
    for (const secret of [user.password, "Quarterly figures", "The body stays out of the logs", to])
      expect(logged).not.toContain(secret);

    const metrics = await worker.metrics.registry.metrics();
    expect(metrics).toContain(`mailreg_worker_outbox_sent_total{mailbox="${mailbox.id}"} 1`);
    expect(metrics).toContain(
      `mailreg_worker_outbox_failed_total{mailbox="${mailbox.id}",code="SMTP_PERMANENT"} 1`,
    );
    expect(metrics).toMatch(/^mailreg_worker_outbox_queued 0$/m);

    // once stopped, no delivery round runs any more (it would fail on the closed store and say so)
    await worker.stop();
    const stoppedAt = lines.length;
    store.close();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(lines.slice(stoppedAt)).toEqual([]);
  });

  it("a worker process told to stop (SIGTERM) mid-queue finishes the messages it holds and exits 0; the next worker sends the rest, each message once", {
    timeout: 90_000,
  }, async () => {
    const { folder, store } = await setup();
    // POP3: no Sent-folder copy, so the queue goes out at the SMTP sink's pace
    const mailbox = await applyMailbox(store, folder.keyring.publicKey, dovecot, freshUser(dovecot, "obt"), {
      autoFetch: false,
      pop3: true,
    });
    const COUNT = 600;
    const to = `sigterm-${randomUUID()}@example.test`;
    for (let i = 0; i < COUNT; i++)
      await enqueue(storeOutbox(store), {
        mailboxId: mailbox.id,
        message: { to, subject: `n${i}`, text: `${i}` },
      });

    const first: WorkerProcess = spawnWorker(folder.configPath, servers.caPath);
    cleanup.push(async () => {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill("SIGKILL");
    });
    await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to), { timeoutMs: 30_000 });
    first.child.kill("SIGTERM");
    expect(await first.exited, first.stderr()).toEqual({ code: 0, signal: null });
    expect(first.lines.at(-1)).toMatchObject({ msg: "worker stopped" });

    // nothing left claimed (another worker would wait 5 minutes for it), nothing failed
    const after = await countOutbox(store);
    expect(after).toMatchObject({ sending: 0, failed: 0 });
    expect(after.sent + after.queued).toBe(COUNT);
    expect(after.sent).toBeLessThan(COUNT);
    expect(first.lines.filter((l) => l.msg === "send" && l.status === "sent")).toHaveLength(after.sent);

    const next = createWorker({
      config: folder.config,
      store,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      logger: jsonLogger(() => {}),
      outboxMs: 200,
    });
    next.start();
    cleanup.push(() => next.stop());
    await until("the rest sent", async () => ((await countOutbox(store)).sent === COUNT ? true : undefined));
    const ids = sinkCopies(to).map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim());
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
  });
});
