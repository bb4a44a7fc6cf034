// The store under Deno: a libSQL file opened through @libsql/client's native binding, migrated, written
// and read. Run with `npx deno test -A packages/store`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyRegistration,
  countMessages,
  countRegistrations,
  getRegistration,
  insertRegistration,
  listAudit,
  listMailboxes,
  listRegistrations,
  openChunkWriter,
  openStore,
  storeSyncJournal,
  upsertInstances,
} from "./mod.ts";
import { insertTestMailbox, makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";

Deno.test("openStore() migrates a libSQL file under Deno, and insert, apply and list work", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailreg-deno-"));
  try {
    const url = `file:${dir}/deno.db`;
    const store = await openStore({ url });
    const journal = await store.client.execute("PRAGMA journal_mode");
    assert.equal(journal.rows[0]?.journal_mode, "wal");
    await upsertInstances(store, [{ id: "main", label: "Main" }]);
    const first = await insertRegistration(
      store,
      makeRegistration({ address: "ann@example.com", sealed: "s1" }),
    );
    const second = await insertRegistration(
      store,
      makeRegistration({ address: "ann@example.com", sealed: "s2" }),
    );
    for (const record of [first, second]) {
      await applyRegistration(store, {
        id: record.id,
        instanceId: "main",
        actor: "deno",
        profile: makeProfile(record),
        // the second replaces the first's mailbox: confirmed, as the admin must
        replace: record === second,
      });
    }
    const mailboxes = await listMailboxes(store);
    assert.equal(mailboxes.length, 1);
    assert.equal(mailboxes[0]?.sealed, "s2");
    assert.equal((await listAudit(store)).length, 2);
    assert.deepEqual(
      (await listRegistrations(store, { status: "applied" })).map((r) => r.id),
      [first.id, second.id],
    );
    store.close();

    const reopened = await openStore({ url });
    assert.equal(await countRegistrations(reopened), 2);
    assert.equal((await getRegistration(reopened, second.id)).decision?.by, "deno");
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const raw = new TextEncoder().encode("From: j@example.org\r\nMessage-ID: <a@b>\r\n\r\nhi");
const hash = "0".repeat(64);

Deno.test("the store's writer thread commits chunks under Deno", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailreg-store-deno-"));
  const store = await openStore({ url: `file:${join(dir, "store.db")}` });
  try {
    const mailboxId = await insertTestMailbox(store);
    const writer = openChunkWriter(store);
    const row = (uid: number) => ({
      id: crypto.randomUUID(),
      mailboxId,
      folder: "INBOX",
      uidvalidity: 1,
      uid,
      contentHash: hash,
      size: raw.length,
      flags: [],
      raw,
      storedAt: new Date().toISOString(),
    });
    await Promise.all([writer.commit({ inserts: [row(1)] }), writer.commit({ inserts: [row(2)] })]);
    assert.equal(await writer.threaded, true);
    await writer.close();
    assert.equal(await countMessages(store, mailboxId), 2);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("the store's sync journal stores a message once under Deno", async () => {
  const store = await openMemoryStore();
  try {
    const mailboxId = await insertTestMailbox(store);
    const journal = storeSyncJournal(store);
    const key = { mailboxId, folder: "INBOX", uidValidity: 1, uid: 1 };
    const message = {
      id: crypto.randomUUID(),
      key,
      raw,
      size: raw.length,
      flags: [],
      envelope: { messageId: "a@b" },
      contentHash: hash,
    };
    await journal.commit(await journal.plan([message], []));
    const again = await journal.plan([{ ...message, id: crypto.randomUUID() }], []);
    assert.deepEqual([again.inserts.length, again.unchanged], [0, 1]);
    assert.deepEqual(await journal.isStored([key, { ...key, uid: 2 }]), [true, false]);
    await journal.close();
  } finally {
    store.close();
  }
});
