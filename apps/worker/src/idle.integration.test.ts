import { rm } from "node:fs/promises";
import { jsonLogger } from "@mailreg/core";
import { appendViaImap, generateMessages } from "@mailreg/mailservers";
import { countMessages, type Store } from "@mailreg/store";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  expectedMessages,
  freshUser,
  INSTANCE,
  openTestStore,
  seedTarget,
  storedMessages,
  testFolder,
  until,
} from "../test/world.ts";
import { createWorker } from "./worker.ts";

const dovecot = inject("mailservers").dovecot;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** The user's IMAP connections on the Dovecot, per `doveadm who`. */
async function imapConnections(user: string): Promise<number> {
  const out = await seedTarget(dovecot).doveadm(["who", "-1", user]);
  return out.split("\n").filter((line) => line.includes(user) && line.includes("imap")).length;
}

describe("IMAP IDLE", () => {
  it("stores new mail within seconds in a mailbox that opts in, with an hour between scheduled runs, and stop() closes the IDLE connection", async () => {
    const folder = await testFolder(dovecot, {
      worker: { leaseSeconds: 10 },
      instances: [{ id: INSTANCE, label: "Test", schedule: { intervalSeconds: 3600, idle: true } }],
    });
    const store: Store = await openTestStore(folder);
    cleanup.push(async () => {
      store.close();
      await rm(folder.dir, { recursive: true, force: true });
    });
    const user = freshUser(dovecot, "idle");
    const mailbox = await applyMailbox(store, folder.keyring.publicKey, dovecot, user);
    const lines: Record<string, unknown>[] = [];
    const worker = createWorker({
      config: folder.config,
      store,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      scanMs: 500,
      tickMs: 200,
    });
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await worker.stop();
    });
    worker.start();
    // the initial run (never collected: due now), then the IDLE connection is up
    await until("the first run", async () => (lines.some((l) => l.msg === "sync") ? true : undefined));
    await until("the IDLE watch", async () =>
      lines.some((l) => l.msg === "IDLE watching") ? true : undefined,
    );
    expect(await countMessages(store, mailbox.id)).toBe(0);

    const messages = [...generateMessages({ count: 2, seed: 4711 })];
    const login = {
      host: dovecot.host,
      port: dovecot.imapPort,
      caPem: dovecot.caPem,
      servername: dovecot.servername,
      ...user,
    };
    const sentAt = Date.now();
    await appendViaImap(login, "INBOX", messages);
    await until(
      "the new mail in the store",
      async () => ((await countMessages(store, mailbox.id)) >= 2 ? true : undefined),
      5_000,
    );
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(await storedMessages(store, mailbox.id)).toEqual(expectedMessages(messages));

    expect(await imapConnections(user.user)).toBeGreaterThan(0);
    await worker.stop();
    stopped = true;
    await until(
      "no IMAP connection left",
      async () => ((await imapConnections(user.user)) === 0 ? true : undefined),
      5_000,
    );
  });
});
