import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DovecotInfo, type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { countMessages, listFolderStates, type Store, schema } from "@mailreg/store";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, testWorld, trustTest } from "./_test-servers.ts";
import { syncMailbox } from "./sync-mailbox.ts";

// A folder of more than one chunk in a `file:` database: the engine commits each chunk on the store's
// writer thread while it goes on fetching the next (the in-memory store of the other tests commits on
// the calling thread).
const dovecot = inject("mailservers").dovecot;
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** How many messages a folder holds on the server, per doveadm. */
async function onServer(info: DovecotInfo, user: string, folder: string): Promise<number> {
  const out = await seedTarget(info).doveadm(["mailbox", "status", "-u", user, "messages", folder]);
  return Number(/messages=(\d+)/.exec(out)?.[1] ?? Number.NaN);
}

/** Message-ID → [hash of the raw source, subject] of every stored message of a mailbox. */
async function stored(store: Store, mailboxId: string): Promise<Map<string, [string, string | undefined]>> {
  const rows = await store.db
    .select({
      messageId: schema.messages.messageId,
      raw: schema.messages.raw,
      envelope: schema.messages.envelope,
    })
    .from(schema.messages)
    .where(eq(schema.messages.mailboxId, mailboxId))
    .all();
  const out = new Map<string, [string, string | undefined]>();
  for (const r of rows) {
    expect(out.has(r.messageId ?? "")).toBe(false); // no message twice
    const raw = createHash("sha256").update(r.raw).digest("hex");
    out.set(r.messageId ?? "", [raw, (r.envelope as { subject?: string } | null)?.subject]);
  }
  return out;
}

const expected = (messages: GeneratedMessage[]) =>
  new Map(messages.map((m) => [m.messageId.slice(1, -1), [sha256(m.raw), m.subject] as [string, string]]));

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(count: number, seed: number, deleteAfterFetch = false) {
  const dir = await mkdtemp(join(tmpdir(), "mailreg-sync-bulk-"));
  dirs.push(dir);
  const user = freshUser(dovecot, "thr");
  const messages = [...generateMessages({ count, seed })];
  await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
  const world = await testWorld(`file:${join(dir, "store.db")}`);
  const mailbox = await world.addMailbox(profileFor(dovecot, user), { deleteAfterFetch });
  const options = {
    store: world.store,
    keyring: world.keyring,
    connect: trustTest(dovecot),
    folderPolicy: INBOX_ONLY,
    chunkMessages: 40,
  };
  return { user, messages, world, mailbox, options };
}

describe("syncMailbox() of a multi-chunk folder into a file database (writer thread)", () => {
  it("stores every message once, byte for byte with its envelope, and the next run fetches nothing", async () => {
    const { messages, world, mailbox, options } = await setup(230, 901);
    const progress: number[] = [];
    const run = await syncMailbox(mailbox, { ...options, onProgress: (p) => progress.push(p.fetched) });
    expect(run).toMatchObject({ status: "ok", fetched: 230 });
    // progress comes after each committed chunk, in order
    expect(progress.filter((n) => n > 0)).toEqual([40, 80, 120, 160, 200, 230]);
    expect(await stored(world.store, mailbox.id)).toEqual(expected(messages));
    expect(await listFolderStates(world.store, mailbox.id)).toMatchObject([
      { folder: "INBOX", lastUid: 230 },
    ]);
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0 });
    world.store.close();
  });

  it("finishes the chunk at hand when aborted, and the next run completes without duplicates", async () => {
    const { messages, world, mailbox, options } = await setup(200, 902);
    const controller = new AbortController();
    const first = await syncMailbox(mailbox, {
      ...options,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.fetched >= 80) controller.abort();
      },
    });
    expect(first).toMatchObject({ status: "ok", aborted: true });
    expect(first.fetched).toBeGreaterThanOrEqual(80);
    expect(first.fetched).toBeLessThan(200);
    expect(await countMessages(world.store, mailbox.id)).toBe(first.fetched);
    const second = await syncMailbox(mailbox, options);
    expect(first.fetched + second.fetched).toBe(200);
    expect(await stored(world.store, mailbox.id)).toEqual(expected(messages));
    world.store.close();
  });

  it("deletes on the server only what is committed when a chunk's commit fails", async () => {
    const { user, messages, world, mailbox, options } = await setup(200, 903, true);
    // the store refuses message 101 (a real SQLite trigger): the chunk of UIDs 81–120 cannot commit
    await world.store.client.execute(
      "create trigger refuse_101 before insert on messages when new.uid = 101 begin select raise(abort, 'refused for the test'); end",
    );
    const run = await syncMailbox(mailbox, options);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/refused for the test/);
    expect(run.fetched).toBe(80);
    expect(run.deleted).toBe(80);
    expect(await countMessages(world.store, mailbox.id)).toBe(80);
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(120);

    await world.store.client.execute("drop trigger refuse_101");
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 120, deleted: 120 });
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
    expect(await stored(world.store, mailbox.id)).toEqual(expected(messages));
    world.store.close();
  });
});
