// smtp-resolver's outbox logic over the store's queue (`storeOutbox`), what only a database shows:
// deliverers on separate connections, and a deliverer process killed mid-queue.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSmtpSink } from "@mailreg/mailservers";
import { deliverDue, enqueue, type Outbox, Sender, type SendTarget } from "@mailreg/smtp-resolver";
import { countOutbox, getOutboxMessage, openStore, type Store, storeOutbox } from "@mailreg/store";
import { insertTestMailbox } from "@mailreg/store/testing";
import { expect, it } from "vitest";

const CHILD = new URL("../test/deliver-child.ts", import.meta.url).pathname;

function startDeliverer(
  url: string,
  port: number,
  leaseMs: number,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, String(port), String(leaseMs)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
}

const messageIds = (raws: readonly { raw: string }[]) =>
  raws.map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim());

it("two deliverers on separate connections to one database never send the same message", async () => {
  const dir = await mkdtemp(join(tmpdir(), "outbox-two-"));
  const url = `file:${join(dir, "db.sqlite")}`;
  const sink = await startSmtpSink();
  const stores: Store[] = [await openStore({ url })];
  const senders = [new Sender(), new Sender()];
  try {
    const first = stores[0] as Store;
    const mailboxId = await insertTestMailbox(first);
    stores.push(await openStore({ url }));
    const outboxes: Outbox[] = stores.map((s) => storeOutbox(s));
    const queued = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const q = await enqueue(outboxes[0] as Outbox, {
        mailboxId,
        message: { to: `r${i}@example.org`, text: `${i}` },
      });
      queued.add(q.messageId);
    }
    const target = async (): Promise<SendTarget> => ({
      settings: { host: sink.host, port: sink.port, tls: { verify: true } },
      credentials: { method: "none" },
    });
    const loop = async (outbox: Outbox, sender: Sender) => {
      let sent = 0;
      for (;;) {
        const r = await deliverDue(outbox, sender, { targetFor: target, limit: 7, window: 4 });
        if (r.claimed === 0) return sent;
        sent += r.sent;
      }
    };
    const [a, b] = await Promise.all(outboxes.map((o, i) => loop(o, senders[i] as Sender)));
    expect((a ?? 0) + (b ?? 0)).toBe(60);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const ids = messageIds(sink.messages);
    expect(ids).toHaveLength(60);
    expect(new Set(ids)).toEqual(queued);
    expect(await countOutbox(first)).toEqual({ queued: 0, sending: 0, sent: 60, failed: 0 });
    const one = await enqueue(outboxes[1] as Outbox, { mailboxId, message: { to: "x@example.org" } });
    await loop(outboxes[1] as Outbox, senders[1] as Sender);
    expect(await getOutboxMessage(first, one.id)).toMatchObject({
      status: "sent",
      attempts: 1,
      response: expect.stringMatching(/^250 /),
    });
  } finally {
    for (const s of senders) s.close();
    for (const s of stores) s.close();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

it("a deliverer killed mid-queue (SIGKILL) and started again delivers every queued message exactly once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "outbox-crash-"));
  const url = `file:${join(dir, "db.sqlite")}`;
  const count = 40;
  const victim = 17; // the deliverer dies while this message's DATA is with the server
  let deliverer: ChildProcess | undefined;
  let killed = false;
  // Killed after the whole DATA of a message arrived but before the server answers it: the
  // deliverer has recorded every earlier 250 by then (each took several round trips ago), and this
  // message was never accepted, so the next deliverer must send it (and nothing else) again.
  const sink = await startSmtpSink({
    failWith: (event) => {
      if (event.stage !== "data" || killed || event.address !== `r${victim}@example.org`) return undefined;
      killed = deliverer?.kill("SIGKILL") ?? false;
      return { code: 421, message: "4.4.2 Connection dropped" };
    },
  });
  const store = await openStore({ url });
  try {
    const mailboxId = await insertTestMailbox(store);
    const outbox: Outbox = storeOutbox(store);
    const queued = new Set<string>();
    for (let i = 0; i < count; i++) {
      queued.add(
        (await enqueue(outbox, { mailboxId, message: { to: `r${i}@example.org`, text: `message ${i}` } }))
          .messageId,
      );
    }

    const first = startDeliverer(url, sink.port, 1500);
    deliverer = first.child;
    expect(await first.exited).toBe(null); // killed by the signal
    expect(killed).toBe(true);
    const before = await countOutbox(store);
    expect(before.sent).toBe(victim);
    expect(before.sending).toBeGreaterThan(0); // claims the dead deliverer left behind

    const second = startDeliverer(url, sink.port, 1500);
    deliverer = second.child;
    expect(await second.exited).toBe(0);

    const ids = messageIds(sink.messages);
    expect(ids).toHaveLength(count);
    expect(new Set(ids)).toEqual(queued);
    expect(await countOutbox(store)).toEqual({ queued: 0, sending: 0, sent: count, failed: 0 });
  } finally {
    deliverer?.kill("SIGKILL");
    store.close();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
