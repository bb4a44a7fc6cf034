import { rm } from "node:fs/promises";
import { type Config, type ConfigInput, jsonLogger } from "@mailreg/core";
import { retryDeadLetter, sinksFromConfig } from "@mailreg/imap-sync";
import { type GeneratedMessage, seedMaildir } from "@mailreg/mailservers";
import {
  countMessages,
  listAudit,
  listDeadLetters,
  listLeases,
  listMessageSinks,
  type Store,
  schema,
  storeDeadLetterQueue,
} from "@mailreg/store";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../test/webhook-receiver.ts";
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
import { rerouteMailboxNow } from "./reroute.ts";
import { createWorker, type Worker } from "./worker.ts";

const dovecot = inject("mailservers").dovecot;

const SECRETS = { "/crm": "crm-hmac-secret-1f2e", "/archive": "archive-hmac-secret-9a8b" };
const ENV = { TEST_CRM_SECRET: SECRETS["/crm"], TEST_ARCHIVE_SECRET: SECRETS["/archive"] };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

let _n = 0;
/** A message as the server gets it; with `attachment`, a multipart with a PDF. */
function mail(from: string, subject: string, options: { attachment?: boolean } = {}): GeneratedMessage {
  const messageId = `<route-${process.pid}-${++_n}-${Date.now()}@test.example>`;
  const head = [
    `From: ${from}`,
    "To: owner@example.test",
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    "Date: Thu, 03 Dec 2026 10:00:00 +0000",
    "MIME-Version: 1.0",
  ];
  const raw = options.attachment
    ? [
        ...head,
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "See the attached file.",
        "--b1",
        'Content-Type: application/pdf; name="terms.pdf"',
        'Content-Disposition: attachment; filename="terms.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        "JVBERi0xLjQK",
        "--b1--",
        "",
      ].join("\r\n")
    : [...head, "Content-Type: text/plain; charset=utf-8", "", `Body of ${subject}.`, ""].join("\r\n");
  return {
    raw,
    size: Buffer.byteLength(raw),
    internalDate: new Date(),
    flags: [],
    messageId,
    subject,
    from,
    hasAttachment: options.attachment === true,
  };
}

/** Two webhooks served by the receiver: `crm` and `archive`. */
function sinks(receiver: WebhookReceiver, extra: { attempts?: number } = {}): ConfigInput["sinks"] {
  return {
    crm: {
      kind: "webhook",
      url: `${receiver.url}/crm`,
      secretEnv: "TEST_CRM_SECRET",
      attempts: extra.attempts ?? 3,
      backoffMs: 10,
    },
    archive: {
      kind: "webhook",
      url: `${receiver.url}/archive`,
      secretEnv: "TEST_ARCHIVE_SECRET",
      attempts: 3,
      backoffMs: 10,
    },
  };
}

async function setup(
  receiver: WebhookReceiver,
  routing: unknown,
  extra: { attempts?: number; idle?: boolean } = {},
) {
  const folder: TestFolder = await testFolder(dovecot, {
    worker: { leaseSeconds: 10 },
    sinks: sinks(receiver, extra),
    instances: [
      {
        id: INSTANCE,
        label: "Test",
        routing,
        ...(extra.idle === true ? { schedule: { intervalSeconds: 3600, idle: true } } : {}),
      } as never,
    ],
  });
  const store: Store = await openTestStore(folder);
  const lines: Record<string, unknown>[] = [];
  const workers: Worker[] = [];
  const start = (config: Config = folder.config) => {
    const w = createWorker({
      config,
      store,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      env: ENV,
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
  const mailbox = async (messages: GeneratedMessage[]) => {
    const user = freshUser(dovecot, "rt");
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    return await applyMailbox(store, folder.keyring.publicKey, dovecot, user);
  };
  return { folder, store, lines, start, mailbox };
}

/** The stored message id of each seeded message, by subject. */
async function idsBySubject(store: Store, mailboxId: string): Promise<Map<string, string>> {
  const rows = await store.db
    .select({ id: schema.messages.id, envelope: schema.messages.envelope })
    .from(schema.messages)
    .where(eq(schema.messages.mailboxId, mailboxId))
    .all();
  return new Map(rows.map((r) => [String((r.envelope as { subject?: string }).subject), r.id]));
}

const subjects = (hooks: { body: { envelope: { subject?: string } } }[]) =>
  hooks.map((h) => h.body.envelope.subject).sort();

describe("routing collected mail to sinks", () => {
  it("sends each message collected from Dovecot only to the sinks its rule chooses, signed; a re-run applies a changed rule to stored messages exactly once", async () => {
    const receiver = await startWebhookReceiver(SECRETS);
    cleanup.push(() => receiver.close());
    const { folder, store, lines, start, mailbox } = await setup(receiver, {
      rules: [
        { match: { from: "@spam.example" }, action: "drop" },
        { match: { subject: "invoice" }, sinks: ["crm"] },
      ],
      default: ["archive"],
    });
    const row = await mailbox([
      mail("shop@orders.example", "Invoice 1001"),
      mail("shop@orders.example", "Your INVOICE 1002"),
      mail("bulk@spam.example", "Invoice for free money"),
      mail("friend@example.org", "Lunch on Friday?"),
      mail("lawyer@example.org", "Contract terms", { attachment: true }),
    ]);
    const worker = start();
    await until("5 stored", async () => ((await countMessages(store, row.id)) === 5 ? true : undefined));
    await until("the run logged", async () => lines.find((l) => l.msg === "sync" && l.mailboxId === row.id));
    await worker.stop();

    // the invoices went to the CRM only, the rest to the archive only, the spam nowhere
    expect(subjects(receiver.accepted("/crm"))).toEqual(["Invoice 1001", "Your INVOICE 1002"]);
    expect(subjects(receiver.accepted("/archive"))).toEqual(["Contract terms", "Lunch on Friday?"]);
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    const ids = await idsBySubject(store, row.id);
    for (const r of receiver.received) expect(r.delivery).toBe(ids.get(r.body.envelope.subject!));
    // the store keeps every message, and records where each went
    const states = async (subject: string) =>
      Object.fromEntries(
        (await listMessageSinks(store, ids.get(subject)!)).map((s) => [s.sink, s.state] as const),
      );
    expect(await states("Invoice 1001")).toEqual({ crm: "delivered", archive: "dropped" });
    expect(await states("Invoice for free money")).toEqual({ crm: "dropped", archive: "dropped" });
    expect(await states("Contract terms")).toEqual({ crm: "dropped", archive: "delivered" });
    // no secret in any log line
    expect(JSON.stringify(lines)).not.toContain(SECRETS["/crm"]);

    // a new rule: attachments go to the CRM as well; it applies to stored messages on a re-run only
    const changed: Config = {
      ...folder.config,
      instances: folder.config.instances.map((i) => ({
        ...i,
        routing: {
          rules: [
            { match: { hasAttachment: true }, sinks: ["crm", "archive"] },
            { match: { from: "@spam.example" }, action: "drop" as const },
            { match: { subject: "invoice" }, sinks: ["crm"] },
          ],
          default: ["archive"],
        },
      })),
    };
    const deps = { config: changed, store, keyring: folder.keyring, env: ENV };
    const first = await rerouteMailboxNow(deps, row.id, { actor: "admin" });
    expect(first).toMatchObject({ messages: 5, delivered: 1, failed: 0 });
    expect(subjects(receiver.accepted("/crm"))).toEqual([
      "Contract terms",
      "Invoice 1001",
      "Your INVOICE 1002",
    ]);
    expect(subjects(receiver.accepted("/archive"))).toEqual(["Contract terms", "Lunch on Friday?"]);
    expect(await states("Contract terms")).toEqual({ crm: "delivered", archive: "delivered" });

    // running it again delivers nothing more
    const second = await rerouteMailboxNow(deps, row.id, { actor: "admin" });
    expect(second).toMatchObject({ messages: 5, delivered: 0, failed: 0 });
    expect(receiver.received).toHaveLength(5);
    const audit = (await listAudit(store, { subjectId: row.id })).filter(
      (a) => a.action === "mailbox.reroute",
    );
    expect(audit.map((a) => (a.details as { delivered: number }).delivered)).toEqual([1, 0]);
  });

  it("a webhook that keeps failing leaves dead letters (after its retries, then without holding up collection); Retry delivers each once the receiver works and empties the list", async () => {
    const receiver = await startWebhookReceiver(SECRETS);
    cleanup.push(() => receiver.close());
    receiver.answer("/crm", 503);
    const { folder, store, start, mailbox } = await setup(
      receiver,
      { rules: [{ match: { subject: "invoice" }, sinks: ["crm"] }], default: [] },
      { attempts: 3 },
    );
    const row = await mailbox([
      mail("shop@orders.example", "Invoice 7"),
      mail("shop@orders.example", "Invoice 8"),
      mail("shop@orders.example", "Invoice 9"),
      mail("a@example.org", "Hello"),
    ]);
    const worker = start();
    const letters = await until("three dead letters", async () => {
      const found = await listDeadLetters(store, { mailboxId: row.id });
      return found.length === 3 ? found : undefined;
    });
    await worker.stop();
    expect(await countMessages(store, row.id)).toBe(4);
    // the first invoice: three tries, each signed, then given up; the sink then pauses, so the other
    // two are kept untried; "Hello" went nowhere (default: no sink)
    expect(receiver.received.map((r) => [r.path, r.status, r.signed, r.body.envelope.subject])).toEqual([
      ["/crm", 503, true, "Invoice 7"],
      ["/crm", 503, true, "Invoice 7"],
      ["/crm", 503, true, "Invoice 7"],
    ]);
    const bySubject = new Map(
      letters.map((l) => [(l.payload as { envelope: { subject: string } }).envelope.subject, l]),
    );
    expect(bySubject.get("Invoice 7")).toMatchObject({
      sink: "crm",
      event: "message.stored",
      attempts: 3,
      lastError: "HTTP 503",
    });
    expect(bySubject.get("Invoice 8")).toMatchObject({ sink: "crm", attempts: 0 });
    expect(bySubject.get("Invoice 8")?.lastError).toMatch(/^Not tried: the sink gave up .*HTTP 503/);
    expect(JSON.stringify(letters)).not.toContain(SECRETS["/crm"]);
    const first = bySubject.get("Invoice 7")!;
    const [state] = (await listMessageSinks(store, first.messageRowId!)).filter((x) => x.sink === "crm");
    expect(state).toMatchObject({ state: "dead-letter", attempts: 3 });

    // a re-run does not deliver them behind the dead-letter list's back
    const deps = { config: folder.config, store, keyring: folder.keyring, env: ENV };
    expect(await rerouteMailboxNow(deps, row.id, { actor: "admin" })).toMatchObject({ delivered: 0 });
    expect(receiver.received).toHaveLength(3);

    receiver.answer("/crm", 200);
    const sinksNow = sinksFromConfig(folder.config.sinks, ENV);
    for (const letter of letters) {
      expect(await retryDeadLetter(storeDeadLetterQueue(store), sinksNow, letter.id)).toEqual({
        outcome: "delivered",
      });
    }
    expect(subjects(receiver.accepted("/crm"))).toEqual(["Invoice 7", "Invoice 8", "Invoice 9"]);
    expect(await listDeadLetters(store, { mailboxId: row.id })).toEqual([]);
    const after = await listMessageSinks(store, first.messageRowId!);
    expect(after.find((s) => s.sink === "crm")).toMatchObject({ state: "delivered", attempts: 4 });
  });

  it("a re-run asked for while a worker watches the mailbox with IDLE is left to that worker, which applies it once after its next run", async () => {
    const receiver = await startWebhookReceiver(SECRETS);
    cleanup.push(() => receiver.close());
    const { folder, store, lines, start, mailbox } = await setup(
      receiver,
      { rules: [{ match: { subject: "invoice" }, sinks: ["crm"] }], default: [] },
      { idle: true },
    );
    const row = await mailbox([mail("shop@orders.example", "Invoice 31"), mail("a@example.org", "Hi")]);
    const first = start();
    await until("2 stored", async () => ((await countMessages(store, row.id)) === 2 ? true : undefined));
    await until("the run logged", async () => lines.find((l) => l.msg === "sync" && l.mailboxId === row.id));
    await first.stop();
    expect(subjects(receiver.accepted("/crm"))).toEqual(["Invoice 31"]);

    // the administrator sends everything to the archive as well, and restarts the worker with it
    const changed: Config = {
      ...folder.config,
      instances: folder.config.instances.map((i) => ({
        ...i,
        routing: { rules: [{ match: {}, sinks: ["crm", "archive"] }] },
      })),
    };
    const watching = start(changed);
    await until("the IDLE watch holding the mailbox", async () =>
      (await listLeases(store)).some((l) => l.mailboxId === row.id && l.owner === watching.owner)
        ? true
        : undefined,
    );
    const deps = { config: changed, store, keyring: folder.keyring, env: ENV };
    expect(await rerouteMailboxNow(deps, row.id, { actor: "admin" })).toEqual({
      ran: false,
      requested: true,
    });
    // the watching worker collects (nothing new), then applies the rules to the stored messages
    const line = await until("the worker's re-run", async () => lines.find((l) => l.msg === "reroute"));
    expect(line).toMatchObject({ mailboxId: row.id, requestedBy: "admin", messages: 2, delivered: 3 });
    // "Hi" reaches both sinks now, the invoice only the archive (the CRM had it)
    expect(subjects(receiver.accepted("/archive"))).toEqual(["Hi", "Invoice 31"]);
    expect(subjects(receiver.accepted("/crm"))).toEqual(["Hi", "Invoice 31"]);
    const audit = (await listAudit(store, { subjectId: row.id })).filter(
      (a) => a.action === "mailbox.reroute",
    );
    expect(audit.map((a) => [a.actor, (a.details as { delivered: number }).delivered])).toEqual([
      ["admin", 3],
    ]);
    // asked again (left to the worker, or run at once if it caught the lease between two holds of the
    // watch): nothing more is delivered
    const again = await rerouteMailboxNow(deps, row.id, { actor: "admin" });
    if (again.ran) expect(again).toMatchObject({ messages: 2, delivered: 0 });
    else {
      await until("the second re-run", async () =>
        lines.filter((l) => l.msg === "reroute").length === 2 ? true : undefined,
      );
      expect(lines.filter((l) => l.msg === "reroute")[1]).toMatchObject({ delivered: 0 });
    }
    const reruns = (await listAudit(store, { subjectId: row.id })).filter(
      (a) => a.action === "mailbox.reroute",
    );
    expect(reruns.map((a) => (a.details as { delivered: number }).delivered)).toEqual([3, 0]);
    expect(receiver.received).toHaveLength(4);
  });

  it("a worker whose webhook secret variable is unset refuses to start, naming the variable but no secret", async () => {
    const receiver = await startWebhookReceiver(SECRETS);
    cleanup.push(() => receiver.close());
    const { folder, store } = await setup(receiver, { rules: [] });
    expect(() =>
      createWorker({
        config: folder.config,
        store,
        keyring: folder.keyring,
        env: { TEST_CRM_SECRET: SECRETS["/crm"] },
      }),
    ).toThrow(/sinks\.archive\.secretEnv: the environment variable TEST_ARCHIVE_SECRET/);
  });
});
