import { rm } from "node:fs/promises";
import { jsonLogger } from "@mailreg/core";
import { type GeneratedMessage, seedMaildir } from "@mailreg/mailservers";
import {
  countMessages,
  getMessage,
  listAudit,
  listSyncRuns,
  requestSync,
  type Store,
  schema,
} from "@mailreg/store";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  countOnServer,
  freshUser,
  INSTANCE,
  openTestStore,
  seedTarget,
  testFolder,
  until,
} from "../test/world.ts";
import { createWorker, type Worker } from "./worker.ts";

const dovecot = inject("mailservers").dovecot;
const DAY = 86_400_000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

let _n = 0;
/** A plain message whose body holds `word` (and its subject does not). */
function mail(subject: string, word: string): GeneratedMessage {
  const messageId = `<keep-${process.pid}-${++_n}-${Date.now()}@test.example>`;
  const raw = [
    "From: sender@example.org",
    "To: owner@example.test",
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    "Date: Thu, 03 Dec 2026 10:00:00 +0000",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `The body mentions ${word} once.`,
    "",
  ].join("\r\n");
  return {
    raw,
    size: Buffer.byteLength(raw),
    internalDate: new Date(),
    flags: [],
    messageId,
    subject,
    from: "sender@example.org",
    hasAttachment: false,
  };
}

async function ftsCount(store: Store, query: string): Promise<number> {
  const r = await store.client.execute({
    sql: "select count(*) as n from message_fts where message_fts match ?",
    args: [query],
  });
  return Number(r.rows[0]!.n);
}

describe("retention in the worker", () => {
  it("deletes what is older than deleteDays, purges the raw source of what is older than rawDays (still found by search), writes the audit log once, and leaves the server alone", async () => {
    const folder = await testFolder(dovecot, {
      worker: { leaseSeconds: 10 },
      instances: [{ id: INSTANCE, label: "Test", retention: { rawDays: 30, deleteDays: 90 } }],
    });
    const store = await openTestStore(folder);
    const lines: Record<string, unknown>[] = [];
    const workers: Worker[] = [];
    const start = () => {
      const w = createWorker({
        config: folder.config,
        store,
        keyring: folder.keyring,
        ca: dovecot.caPem,
        logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
        scanMs: 300,
        tickMs: 100,
        retentionMs: 3_600_000,
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
    const user = freshUser(dovecot, "ret");
    const seeded = [
      mail("ancient one", "aardvark"),
      mail("ancient two", "albatross"),
      mail("old one", "okapi"),
      mail("old two", "ocelot"),
      mail("recent", "rhino"),
      mail("new", "newt"),
    ];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", seeded);
    const row = await applyMailbox(store, folder.keyring.publicKey, dovecot, user);

    const first = start();
    await until("6 stored", async () => ((await countMessages(store, row.id)) === 6 ? true : undefined));
    await first.stop();
    // nothing was old when it started: no audit entry, nothing purged
    expect((await listAudit(store)).filter((a) => a.action.startsWith("retention."))).toEqual([]);

    // age the stored copies as if collected long ago
    const rows = await store.db
      .select({ id: schema.messages.id, envelope: schema.messages.envelope })
      .from(schema.messages)
      .where(eq(schema.messages.mailboxId, row.id))
      .all();
    const id = new Map(rows.map((r) => [String((r.envelope as { subject?: string }).subject), r.id]));
    const age = async (subject: string, days: number) =>
      await store.db
        .update(schema.messages)
        .set({ storedAt: new Date(Date.now() - days * DAY).toISOString() })
        .where(eq(schema.messages.id, id.get(subject)!))
        .run();
    await age("ancient one", 200);
    await age("ancient two", 91);
    await age("old one", 60);
    await age("old two", 31);
    await age("recent", 29);

    const second = start();
    const line = await until("the retention log line", async () => lines.find((l) => l.msg === "retention"));
    expect(line).toMatchObject({ instance: INSTANCE, deleted: 2, purged: 2, waitingForIndex: 0 });

    // deleted: gone; purged: metadata stays, raw empty, still found by a word of its body
    expect(await countMessages(store, row.id)).toBe(4);
    expect(await getMessage(store, id.get("ancient one")!)).toBeUndefined();
    expect(await getMessage(store, id.get("ancient two")!)).toBeUndefined();
    for (const subject of ["old one", "old two"]) {
      const m = await getMessage(store, id.get(subject)!);
      expect(m?.raw.length).toBe(0);
      expect(m?.rawPurgedAt).not.toBeNull();
      expect(m?.envelope).toMatchObject({ subject });
    }
    expect(await ftsCount(store, "okapi")).toBe(1);
    expect(await ftsCount(store, "ocelot")).toBe(1);
    expect(await ftsCount(store, "aardvark")).toBe(0);
    // younger than rawDays: byte for byte what the server has
    const text = async (subject: string) =>
      new TextDecoder().decode((await getMessage(store, id.get(subject)!))?.raw);
    expect(await text("recent")).toBe(seeded[4]!.raw);
    expect(await text("new")).toBe(seeded[5]!.raw);

    // the audit log says what was done, by which worker, to which instance
    const audit = (await listAudit(store)).filter((a) => a.action.startsWith("retention."));
    expect(audit.map((a) => [a.action, a.subjectType, a.subjectId, a.actor, a.details.messages])).toEqual([
      ["retention.delete", "instance", INSTANCE, `worker:${second.owner}`, 2],
      ["retention.purge-raw", "instance", INSTANCE, `worker:${second.owner}`, 2],
    ]);
    expect(await second.metrics.registry.metrics()).toMatch(
      /mailreg_worker_retention_messages_total\{instance="test",action="delete"\} 2/,
    );
    await second.stop();

    // a run with nothing to do writes nothing; the server still holds every message
    const third = start();
    await until("the third worker's retention run", async () =>
      (await third.metrics.registry.getSingleMetricAsString("mailreg_worker_retention_runs_total")).includes(
        'status="ok"} 1',
      )
        ? true
        : undefined,
    );
    expect((await listAudit(store)).filter((a) => a.action.startsWith("retention."))).toHaveLength(2);
    expect(await countMessages(store, row.id)).toBe(4);
    expect(await countOnServer(dovecot, user.user)).toBe(6);
  });

  it("spares the rows of a POP3 mailbox that leaves mail on the server (purging their raw sources): deleted, they would be collected again", async () => {
    const folder = await testFolder(dovecot, {
      worker: { leaseSeconds: 10 },
      instances: [{ id: INSTANCE, label: "Test", retention: { deleteDays: 90 } }],
    });
    const store = await openTestStore(folder);
    const lines: Record<string, unknown>[] = [];
    const workers: Worker[] = [];
    const start = () => {
      const w = createWorker({
        config: folder.config,
        store,
        keyring: folder.keyring,
        ca: dovecot.caPem,
        logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
        scanMs: 300,
        tickMs: 100,
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
    const imapUser = freshUser(dovecot, "reti");
    const popUser = freshUser(dovecot, "retp");
    await seedMaildir(seedTarget(dovecot), imapUser.user, "INBOX", [
      mail("imap a", "ibis"),
      mail("imap b", "impala"),
    ]);
    await seedMaildir(seedTarget(dovecot), popUser.user, "INBOX", [
      mail("pop a", "panda"),
      mail("pop b", "puffin"),
    ]);
    const imap = await applyMailbox(store, folder.keyring.publicKey, dovecot, imapUser);
    const pop = await applyMailbox(store, folder.keyring.publicKey, dovecot, popUser, { pop3: true });
    const first = start();
    await until("both collected", async () =>
      (await countMessages(store, imap.id)) === 2 && (await countMessages(store, pop.id)) === 2
        ? true
        : undefined,
    );
    await first.stop();
    await store.db
      .update(schema.messages)
      .set({ storedAt: new Date(Date.now() - 200 * DAY).toISOString() })
      .run();

    const second = start();
    const line = await until("the retention log line", async () => lines.find((l) => l.msg === "retention"));
    expect(line).toMatchObject({ level: "warn", deleted: 2, purged: 2, sparedPop3Mailboxes: 1 });
    expect(await countMessages(store, imap.id)).toBe(0);
    expect(await countMessages(store, pop.id)).toBe(2);
    expect(await ftsCount(store, "puffin")).toBe(1);

    // collecting the POP3 mailbox again fetches nothing: its messages are still known as stored
    const runs = (await listSyncRuns(store, pop.id)).length;
    await requestSync(store, pop.id, { actor: "test" });
    await until("another run", async () => {
      const all = await listSyncRuns(store, pop.id);
      return all.length > runs && all[0]!.status !== "running" ? all[0] : undefined;
    }).then((run) => expect(run).toMatchObject({ status: "ok", fetched: 0 }));
    await second.stop();
    expect(await countMessages(store, pop.id)).toBe(2);
    expect(await countOnServer(dovecot, popUser.user)).toBe(2);
  });
});
