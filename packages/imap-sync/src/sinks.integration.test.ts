import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMessages, seedMaildir } from "@mailreg/mailservers";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, testWorld, trustTest } from "./_test-servers.ts";
import { redeliverDeadLetters } from "./dead-letters.ts";
import { createEventSink, type MailEvent } from "./event-sink.ts";
import { createMaildirSink } from "./maildir-sink.ts";
import { syncMailbox } from "./sync-mailbox.ts";
import { createWebhookSink, signWebhookBody } from "./webhook-sink.ts";

const dovecot = inject("mailservers").dovecot;
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;
const ALL = { mode: "all", folders: [], includeSubfolders: true, exclude: [] } as const;

/** A real HTTP receiver: answers with `status()` per request and records what came. */
function receiver(status: () => number) {
  const received: { headers: IncomingMessage["headers"]; body: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const code = status();
      received.push({ headers: req.headers, body, status: code });
      res.writeHead(code).end();
    });
  });
  return {
    received,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("sinks", () => {
  let exportDir: string;
  beforeAll(async () => {
    exportDir = await mkdtemp(join(tmpdir(), "mailreg-maildir-"));
  });
  afterAll(async () => {
    await rm(exportDir, { recursive: true, force: true });
  });

  it("the webhook gets each new message once, signed, with envelope and raw source, and retries a 503", async () => {
    const user = freshUser(dovecot);
    const messages = [...generateMessages({ count: 3, seed: 601 })];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    let calls = 0;
    const hook = receiver(() => (++calls === 1 ? 503 : 200));
    const url = await hook.listen();
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    const sink = createWebhookSink({ url, secret: "hook-secret", backoffMs: 10 });
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: INBOX_ONLY,
      sinks: [sink],
    };
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 3, deadLetters: 0 });
    expect(await syncMailbox(mailbox, options)).toMatchObject({ fetched: 0 });

    const ok = hook.received.filter((r) => r.status === 200);
    expect(ok).toHaveLength(3);
    expect(hook.received).toHaveLength(4);
    for (const r of ok) {
      expect(r.headers["x-mailreg-signature"]).toBe(await signWebhookBody("hook-secret", r.body));
      expect(r.headers["x-mailreg-event"]).toBe("message.stored");
    }
    // the retried delivery is the same request: same delivery id, same signature
    expect(hook.received[0]!.headers["x-mailreg-delivery"]).toBe(
      hook.received[1]!.headers["x-mailreg-delivery"],
    );
    const bodies = ok.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.envelope.subject).sort()).toEqual(messages.map((m) => m.subject).sort());
    const raws = bodies.map((b) => Buffer.from(b.raw, "base64").toString("utf8")).sort();
    expect(raws).toEqual(messages.map((m) => m.raw).sort());
    expect(JSON.stringify(bodies)).not.toContain("hook-secret");
    await hook.close();
  });

  it("keeps what the webhook never accepted as a dead letter, stores the mail anyway, and redelivers it later", async () => {
    const user = freshUser(dovecot);
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generateMessages({ count: 2, seed: 602 }));
    let up = false;
    const hook = receiver(() => (up ? 200 : 500));
    const url = await hook.listen();
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    const sink = createWebhookSink({ url, secret: "s", attempts: 3, backoffMs: 5 });
    const run = await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: INBOX_ONLY,
      sinks: [sink],
    });
    expect(run).toMatchObject({ status: "ok", fetched: 2, deadLetters: 2 });
    const letters = await world.state.deadLetters({ mailboxId: mailbox.id });
    expect(letters).toHaveLength(2);
    expect(letters[0]).toMatchObject({ event: "message.stored", attempts: 3, lastError: "HTTP 500" });
    expect(letters[0]!.sink).toBe(`webhook:${new URL(url).origin}/hook`);
    expect(letters[0]!.payload).not.toHaveProperty("raw");
    expect(hook.received).toHaveLength(6);

    up = true;
    expect(await redeliverDeadLetters(world.state, [sink])).toEqual({ delivered: 2, failed: 0, skipped: 0 });
    expect(await world.state.deadLetters({ mailboxId: mailbox.id })).toHaveLength(0);
    await hook.close();
  });

  it("writes a Maildir++ export mirroring the folder tree, with flags in the file names kept up to date", async () => {
    const user = freshUser(dovecot);
    const target = seedTarget(dovecot);
    const inbox = [...generateMessages({ count: 3, seed: 603 })].map((m, i) => ({
      ...m,
      flags: i === 0 ? ["\\Seen"] : [],
    }));
    const nested = [...generateMessages({ count: 2, seed: 604 })];
    await seedMaildir(target, user.user, "INBOX", inbox);
    await seedMaildir(target, user.user, "Firma/Vertrieb", nested);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    const sink = createMaildirSink({ root: exportDir, mailboxDir: () => "ann" });
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: ALL,
      sinks: [sink],
    };
    await syncMailbox(mailbox, options);

    const cur = join(exportDir, "ann", "cur");
    const files = readdirSync(cur);
    expect(files).toHaveLength(3);
    expect(files.filter((f) => f.endsWith(":2,S"))).toHaveLength(1);
    expect(files.map((f) => readFileSync(join(cur, f), "utf8")).sort()).toEqual(
      inbox.map((m) => m.raw).sort(),
    );
    expect(readdirSync(join(exportDir, "ann", ".Firma.Vertrieb", "cur"))).toHaveLength(2);
    // collected mail is for the service only: nothing readable by group or others
    for (const f of files) expect(statSync(join(cur, f)).mode & 0o777).toBe(0o600);
    for (const d of [join(exportDir, "ann"), cur, join(exportDir, "ann", ".Firma.Vertrieb", "tmp")]) {
      expect(statSync(d).mode & 0o777).toBe(0o700);
    }

    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapPort,
      secure: false,
      tls: { ca: dovecot.caPem, servername: dovecot.servername },
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    await client.connect();
    await client.mailboxOpen("INBOX");
    await client.messageFlagsAdd("1:*", ["\\Flagged"], { uid: true });
    await client.logout();
    await syncMailbox(mailbox, options);
    expect(readdirSync(cur).filter((f) => f.split(":2,")[1]?.includes("F"))).toHaveLength(3);
    await syncMailbox(mailbox, options);
    expect(readdirSync(cur)).toHaveLength(3);
  });

  it("hands stored messages and flag changes to in-process subscribers", async () => {
    const user = freshUser(dovecot);
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generateMessages({ count: 4, seed: 605 }));
    const events = createEventSink();
    const seen: MailEvent[] = [];
    const stop = events.subscribe((e) => {
      seen.push(e);
    });
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: INBOX_ONLY,
      sinks: [events],
    });
    expect(seen.map((e) => e.type)).toEqual(Array(4).fill("message.stored"));
    const first = seen[0] as Extract<MailEvent, { type: "message.stored" }>;
    expect(first.key).toMatchObject({ mailboxId: mailbox.id, folder: "INBOX", uid: 1 });
    expect(first.contentHash).toMatch(/^[0-9a-f]{64}$/);
    stop();
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", generateMessages({ count: 1, seed: 606 }));
    await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: INBOX_ONLY,
      sinks: [events],
    });
    expect(seen).toHaveLength(4);
  });
});
