// imap-sync's engine wired to the store's adapter, as the worker runs it, against the real Dovecot:
// what the store keeps of a sync (rows byte for byte, one per message, re-keyed after a UIDVALIDITY
// change, the folder state, the run) and how it commits (a folder of more than one chunk in a `file:`
// database is committed on the store's writer thread while the next chunk is fetched).
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { type SyncMailboxOptions, type SyncState, syncMailbox } from "@mailreg/imap-sync";
import { type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import {
  countMessages,
  listFolderStates,
  listSyncRuns,
  type Mailbox,
  type Store,
  schema,
  storeSyncState,
} from "@mailreg/store";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  countOnServer,
  freshUser,
  openTestStore,
  seedTarget,
  type TestFolder,
  testFolder,
} from "../test/world.ts";

const dovecot = inject("mailservers").dovecot;
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;
const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

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
    out.set(r.messageId ?? "", [sha256(r.raw), (r.envelope as { subject?: string } | null)?.subject]);
  }
  return out;
}

const expected = (messages: GeneratedMessage[]) =>
  new Map(messages.map((m) => [m.messageId.slice(1, -1), [sha256(m.raw), m.subject] as [string, string]]));

const folders: TestFolder[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const f of folders.splice(0)) await rm(f.dir, { recursive: true, force: true });
});

async function setup(
  count: number,
  seed: number,
  options: { deleteAfterFetch?: boolean; folder?: string; chunkMessages?: number } = {},
): Promise<{
  user: { user: string; password: string };
  messages: GeneratedMessage[];
  store: Store;
  mailbox: Mailbox;
  options: SyncMailboxOptions;
}> {
  const folder = await testFolder(dovecot);
  folders.push(folder);
  const store = await openTestStore(folder);
  stores.push(store);
  const user = freshUser(dovecot, "sst");
  const messages = [...generateMessages({ count, seed })];
  await seedMaildir(seedTarget(dovecot), user.user, options.folder ?? "INBOX", messages);
  const mailbox = await applyMailbox(store, folder.keyring.publicKey, dovecot, user, {
    deleteAfterFetch: options.deleteAfterFetch ?? false,
  });
  // the store's adapter of imap-sync's port, as the worker wires it
  const state: SyncState = storeSyncState(store);
  return {
    user,
    messages,
    store,
    mailbox,
    options: {
      state,
      keyring: folder.keyring,
      connect: { tls: { ca: dovecot.caPem, servername: dovecot.servername }, timeoutMs: 10_000 },
      folderPolicy:
        options.folder === undefined
          ? INBOX_ONLY
          : { mode: "selected", folders: [options.folder], includeSubfolders: true, exclude: [] },
      chunkMessages: options.chunkMessages ?? 40,
    },
  };
}

describe("syncMailbox() into the store, a folder of several chunks in a file database (writer thread)", () => {
  it("stores every message once, byte for byte with its envelope, and the next run fetches nothing", async () => {
    const { messages, store, mailbox, options } = await setup(230, 901);
    const progress: number[] = [];
    const run = await syncMailbox(mailbox, { ...options, onProgress: (p) => progress.push(p.fetched) });
    expect(run).toMatchObject({ status: "ok", fetched: 230 });
    // progress comes after each committed chunk, in order
    expect(progress.filter((n) => n > 0)).toEqual([40, 80, 120, 160, 200, 230]);
    expect(await stored(store, mailbox.id)).toEqual(expected(messages));
    expect(await listFolderStates(store, mailbox.id)).toMatchObject([{ folder: "INBOX", lastUid: 230 }]);
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0 });
    expect((await listSyncRuns(store, mailbox.id)).map((r) => [r.status, r.fetched])).toEqual([
      ["ok", 0],
      ["ok", 230],
    ]);
  });

  it("finishes the chunk at hand when aborted, and the next run completes without duplicates", async () => {
    const { messages, store, mailbox, options } = await setup(200, 902);
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
    expect(await countMessages(store, mailbox.id)).toBe(first.fetched);
    const second = await syncMailbox(mailbox, options);
    expect(first.fetched + second.fetched).toBe(200);
    expect(await stored(store, mailbox.id)).toEqual(expected(messages));
  });

  it("deletes on the server only what is committed when a chunk's commit fails", async () => {
    const { user, messages, store, mailbox, options } = await setup(200, 903, { deleteAfterFetch: true });
    // the store refuses message 101 (a real SQLite trigger): the chunk of UIDs 81–120 cannot commit
    await store.client.execute(
      "create trigger refuse_101 before insert on messages when new.uid = 101 begin select raise(abort, 'refused for the test'); end",
    );
    const run = await syncMailbox(mailbox, options);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/refused for the test/);
    expect(run.fetched).toBe(80);
    expect(run.deleted).toBe(80);
    expect(await countMessages(store, mailbox.id)).toBe(80);
    expect(await countOnServer(dovecot, user.user, "INBOX")).toBe(120);

    await store.client.execute("drop trigger refuse_101");
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 120, deleted: 120 });
    expect(await countOnServer(dovecot, user.user, "INBOX")).toBe(0);
    expect(await stored(store, mailbox.id)).toEqual(expected(messages));
  });
});

describe("syncMailbox() into the store", () => {
  it("keeps the raw source byte for byte, with its hash, flags, date and envelope", async () => {
    const { messages, store, mailbox, options } = await setup(1, 7);
    const message = messages[0]!;
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 1 });
    const row = await store.db
      .select()
      .from(schema.messages)
      .where(eq(schema.messages.mailboxId, mailbox.id))
      .get();
    expect(new TextDecoder().decode(row!.raw)).toBe(message.raw);
    expect(row!.contentHash).toBe(sha256(message.raw));
    expect(row!.flags.sort()).toEqual([...message.flags].sort());
    expect(row!.internalDate).toBe(
      new Date(Math.floor(message.internalDate.getTime() / 1000) * 1000).toISOString(),
    );
    expect(row!.envelope).toMatchObject({
      subject: message.subject,
      messageId: message.messageId.slice(1, -1),
    });
  });

  it("re-keys, not stores twice, what a folder deleted and recreated with a new UIDVALIDITY holds again", async () => {
    const { user, messages, store, mailbox, options } = await setup(15, 301, {
      folder: "Projekte",
      chunkMessages: 4,
    });
    const kept = messages.slice(0, 10);
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 15 });
    const [before] = await listFolderStates(store, mailbox.id);

    const target = seedTarget(dovecot);
    await target.doveadm(["mailbox", "delete", "-u", user.user, "Projekte"]);
    const added = [...generateMessages({ count: 6, seed: 303 })];
    await seedMaildir(target, user.user, "Projekte", [...kept, ...added]);

    const run = await syncMailbox(mailbox, options);
    expect(run.folders[0]).toMatchObject({
      path: "Projekte",
      uidValidityChanged: true,
      fetched: 6,
      rekeyed: 10,
    });
    const [after] = await listFolderStates(store, mailbox.id);
    expect(after!.uidvalidity).not.toBe(before!.uidvalidity);
    expect(await stored(store, mailbox.id)).toEqual(expected([...messages, ...added]));
    expect(await syncMailbox(mailbox, options)).toMatchObject({ fetched: 0, rekeyed: 0 });
    expect(await countMessages(store, mailbox.id)).toBe(21);
  });

  it("records a wrong password as a failed run with MAIL_AUTH_FAILED and no secret", async () => {
    const { store, mailbox, options } = await setup(1, 1);
    const wrong = await applyMailbox(store, folders.at(-1)!.keyring.publicKey, dovecot, {
      user: `nobody-${mailbox.id}`,
      password: "not-the-password",
    });
    const run = await syncMailbox(wrong, options);
    expect(run).toMatchObject({ status: "failed", error: { code: "MAIL_AUTH_FAILED" } });
    const [record] = await listSyncRuns(store, wrong.id);
    expect(record).toMatchObject({ status: "failed", errorCode: "MAIL_AUTH_FAILED" });
    expect(JSON.stringify(record)).not.toContain("not-the-password");
  });
});
