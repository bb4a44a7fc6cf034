import { rm } from "node:fs/promises";
import { type ConnectionProfile, jsonLogger, newId } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import {
  type GeneratedMessage,
  generateMessages,
  type HostileBehavior,
  type HostileImap,
  seedMaildir,
  startHostileImap,
} from "@mailreg/mailservers";
import {
  applyRegistration,
  countMessages,
  insertRegistration,
  type Mailbox,
  mailboxSyncState,
  type Store,
  setMailboxSchedule,
} from "@mailreg/store";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  expectedMessages,
  freshUser,
  INSTANCE,
  openTestStore,
  seedTarget,
  storedMessages,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";
import { createWorker, type Worker } from "./worker.ts";

// Hostile IMAP servers among real ones, through the worker: six mailboxes on servers that send a
// garbage greeting, malformed answers, a line that never ends, a near-gigabyte literal, or nothing
// at all, next to four mailboxes on the real Dovecot. The worker fails each hostile mailbox with a
// typed error, its memory stays bounded (the line and literal caps), and it goes on collecting the
// real mailboxes completely meanwhile.

const { dovecot } = inject("mailservers");
const HOSTILE: HostileBehavior[] = [
  "garbage-greeting",
  "malformed",
  "endless-line",
  "huge-literal",
  "silent",
  "silent-after-login",
];
const CODES = ["MAIL_PROTOCOL", "MAIL_CONNECTION_FAILED", "MAIL_TLS_FAILED", "MAIL_AUTH_FAILED"];
/** RSS growth the whole run may cause: four runs at once, each capped at a 32 MiB line. */
const RSS_LIMIT_MIB = 256;

const hostile: HostileImap[] = [];
let folder: TestFolder | undefined;
let store: Store | undefined;
let worker: Worker | undefined;
afterAll(async () => {
  await worker?.stop();
  for (const s of hostile) await s.close();
  store?.close();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

/** A mailbox on a typed-in server (plain IMAP on loopback), applied as an administrator would. */
async function applyTypedIn(db: Store, server: HostileImap, name: string): Promise<Mailbox> {
  const id = newId();
  const address = `${name}@hostile.test`;
  const fields = {
    address,
    protocol: "imap",
    host: server.host,
    port: server.port,
    security: "none",
    login: name,
  } as const;
  const profile: ConnectionProfile = {
    v: 1,
    ...fields,
    auth: { method: "password", password: "pw-hostile" },
  };
  await insertRegistration(db, {
    id,
    receivedAt: new Date().toISOString(),
    ...fields,
    authMethod: "password",
    status: "pending",
    keyId: folder!.keyring.publicKey.kid,
    sealed: await seal(profile, folder!.keyring.publicKey, { registrationId: id, address }),
  });
  const { mailbox } = await applyRegistration(db, { id, instanceId: INSTANCE, actor: "test", profile });
  return await setMailboxSchedule(db, mailbox.id, { intervalSeconds: 1 });
}

describe("the worker among hostile IMAP servers", () => {
  it("fails each hostile mailbox with a typed error, in bounded memory, and collects the real mailboxes meanwhile", {
    timeout: 120_000,
  }, async () => {
    folder = await testFolder(dovecot, { worker: { concurrency: 4, leaseSeconds: 30 } });
    store = await openTestStore(folder);
    const db = store;
    const bad: { behavior: HostileBehavior; mailbox: Mailbox; server: HostileImap }[] = [];
    for (const behavior of HOSTILE) {
      const server = await startHostileImap(behavior);
      hostile.push(server);
      bad.push({ behavior, server, mailbox: await applyTypedIn(db, server, behavior) });
    }
    const good: { messages: GeneratedMessage[]; mailbox: Mailbox }[] = [];
    for (let i = 0; i < 4; i++) {
      const user = freshUser(dovecot, "amid");
      const messages = [...generateMessages({ count: 30, seed: 4100 + i, maxSize: 8000 })];
      await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
      good.push({
        messages,
        mailbox: await applyMailbox(db, folder.keyring.publicKey, dovecot, user, { intervalSeconds: 1 }),
      });
    }

    const logs: string[] = [];
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = performance.now();
    worker = createWorker({
      config: folder.config,
      store: db,
      keyring: folder.keyring,
      ca: dovecot.caPem,
      timeoutMs: 1_000,
      logger: jsonLogger((line) => logs.push(line)),
      tickMs: 200,
    });
    worker.start();
    let goodDoneMs = 0;
    const failures = new Map<HostileBehavior, { code: string | undefined; message: string }>();
    try {
      await until(
        "every real mailbox collected and every hostile one failed",
        async () => {
          let done = true;
          for (const g of good) if ((await countMessages(db, g.mailbox.id)) < g.messages.length) done = false;
          if (done && goodDoneMs === 0) goodDoneMs = performance.now() - started;
          for (const b of bad) {
            const state = await mailboxSyncState(db, b.mailbox.id);
            if (state.status === "failed" && state.lastError !== undefined && state.lastError !== null)
              failures.set(b.behavior, { code: state.lastError.code, message: state.lastError.message });
          }
          return done && failures.size === bad.length ? true : undefined;
        },
        90_000,
      );
    } finally {
      clearInterval(sampler);
      await worker.stop();
      worker = undefined;
    }
    const growthMiB = Math.round((peak - before) / 2 ** 20);
    console.log(
      `worker among hostile servers: ${JSON.stringify({
        realCollectedAfterMs: Math.round(goodDoneMs),
        hostileFailedAfterMs: Math.round(performance.now() - started),
        rssGrowthMiB: growthMiB,
        failures: Object.fromEntries(failures),
        hostileBytesSent: Object.fromEntries(bad.map((b) => [b.behavior, b.server.bytesSent()])),
      })}`,
    );
    for (const g of good)
      expect(await storedMessages(db, g.mailbox.id)).toEqual(expectedMessages(g.messages));
    for (const b of bad) {
      expect(CODES, `${b.behavior}: ${JSON.stringify(failures.get(b.behavior))}`).toContain(
        failures.get(b.behavior)?.code,
      );
      expect(await countMessages(db, b.mailbox.id), b.behavior).toBe(0);
      if (["malformed", "huge-literal"].includes(b.behavior))
        expect(failures.get(b.behavior)?.code, b.behavior).toBe("MAIL_PROTOCOL");
    }
    expect(growthMiB).toBeLessThan(RSS_LIMIT_MIB);
    expect(logs.join("\n")).not.toContain("pw-hostile");
  });
});
