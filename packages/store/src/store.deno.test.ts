// The store under Deno: a libSQL file opened through @libsql/client's native binding, migrated, written
// and read. Run with `npx deno test -A packages/store`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyRegistration,
  countRegistrations,
  getRegistration,
  insertRegistration,
  listAudit,
  listMailboxes,
  listRegistrations,
  openStore,
  upsertInstances,
} from "./mod.ts";
import { makeProfile, makeRegistration } from "./testing.ts";

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
