import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { isMailregError } from "@mailreg/core";
import { drizzle } from "drizzle-orm/libsql";
import { migrate as drizzleMigrate } from "drizzle-orm/libsql/migrator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rekeyAddresses } from "./address-keys.ts";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { findMailbox, listMailboxes } from "./mailboxes.ts";
import { MIGRATIONS_FOLDER } from "./migrate.ts";
import { storeMailboxDirectory } from "./outbox-adapter.ts";
import { insertRegistration } from "./registrations.ts";
import * as schema from "./schema.ts";
import { openStore, type Store } from "./store.ts";
import { makeProfile, makeRegistration } from "./testing.ts";

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-address-keys-"));
  store = await openStore({ url: `file:${dir}/k.db` });
  await upsertInstances(store, [
    { id: "sales", label: "Sales" },
    { id: "exact", label: "Exact", settings: { addressCase: "sensitive" } },
  ]);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function apply(address: string, instanceId: string, extra: { login?: string; replace?: boolean } = {}) {
  const record = await insertRegistration(
    store,
    makeRegistration({ address, ...(extra.login === undefined ? {} : { login: extra.login }) }),
  );
  return await applyRegistration(store, {
    id: record.id,
    instanceId,
    actor: "admin",
    profile: makeProfile(record),
    ...(extra.replace === undefined ? {} : { replace: extra.replace }),
  });
}

describe("one mailbox per address, whatever the case of its local part", () => {
  it("applying ann@ after Ann@ finds the existing mailbox: confirmation needed, then one mailbox that keeps Ann@ for display", async () => {
    const first = await apply("Ann@example.org", "sales", { login: "ann-old" });
    expect(first.mailbox.address).toBe("Ann@example.org");
    const refused = await apply("ann@example.org", "sales", { login: "ann-new" }).catch((e: unknown) => e);
    expect(isMailregError(refused, "CONFLICT")).toBe(true);
    expect((refused as { details: { mailboxId: string } }).details.mailboxId).toBe(first.mailbox.id);
    const replaced = await apply("ann@example.org", "sales", { login: "ann-new", replace: true });
    expect(replaced.created).toBe(false);
    const all = await listMailboxes(store, { instanceId: "sales" });
    expect(all.map((m) => [m.id, m.address, m.login])).toEqual([
      [first.mailbox.id, "Ann@example.org", "ann-new"],
    ]);
  });

  it("non-ASCII local parts compare case-insensitively too", async () => {
    await apply("Jörg@example.org", "sales");
    const refused = await apply("JÖRG@example.org", "sales").catch((e: unknown) => e);
    expect(isMailregError(refused, "CONFLICT")).toBe(true);
  });

  it("findMailbox and the mailbox directory find Ann@ by ann@ (and by ANN@)", async () => {
    const { mailbox } = await apply("Ann@example.org", "sales");
    expect((await findMailbox(store, "sales", "ann@EXAMPLE.org"))?.id).toBe(mailbox.id);
    const directory = storeMailboxDirectory(store);
    expect((await directory.findByAddress("ANN@example.org")).map((m) => m.id)).toEqual([mailbox.id]);
    expect(await directory.findByAddress("bob@example.org")).toEqual([]);
    expect(await directory.findByAddress("not an address")).toEqual([]);
  });

  it('an instance with addressCase "sensitive" keeps Ann@ and ann@ as two mailboxes, each found only by its own case', async () => {
    const a = await apply("Ann@example.org", "exact");
    const b = await apply("ann@example.org", "exact");
    expect(b.created).toBe(true);
    expect((await listMailboxes(store, { instanceId: "exact" })).map((m) => m.address).sort()).toEqual([
      "Ann@example.org",
      "ann@example.org",
    ]);
    expect((await findMailbox(store, "exact", "Ann@example.org"))?.id).toBe(a.mailbox.id);
    expect((await findMailbox(store, "exact", "ann@example.org"))?.id).toBe(b.mailbox.id);
    expect(await findMailbox(store, "exact", "ANN@example.org")).toBeUndefined();
    const directory = storeMailboxDirectory(store);
    expect((await directory.findByAddress("ann@example.org")).map((m) => m.id)).toEqual([b.mailbox.id]);
    // the other instance compares case-insensitively: ANN@ finds its mailbox, not the exact ones
    const c = await apply("ann@example.org", "sales");
    expect((await directory.findByAddress("ANN@example.org")).map((m) => m.id)).toEqual([c.mailbox.id]);
  });
});

describe("the migration adding address keys", () => {
  /** A database migrated up to 0009 (before address keys), with mailboxes inserted as they were then. */
  async function oldDatabase(url: string): Promise<void> {
    const folder = join(dir, "old-migrations");
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalFile = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.tag < "0010");
    writeFileSync(journalFile, JSON.stringify(journal));
    const client = createClient({ url });
    try {
      await drizzleMigrate(drizzle(client, { schema }), { migrationsFolder: folder });
      const cols = (await client.execute("select name from pragma_table_info('mailboxes')")).rows;
      expect(cols.map((c) => c.name)).not.toContain("address_key");
      const at = "2026-01-01T00:00:00.000Z";
      await client.execute({
        sql: "insert into instances (id, label, settings, updated_at) values ('sales', 'Sales', '{}', ?), ('exact', 'Exact', '{\"addressCase\":\"sensitive\"}', ?)",
        args: [at, at],
      });
      const rows: [string, string, string, string][] = [
        ["m1", "sales", "Ann@example.org", "2026-01-01T00:00:01.000Z"],
        ["m2", "sales", "ann@example.org", "2026-01-01T00:00:02.000Z"],
        ["m3", "sales", "ANN@example.org", "2026-01-01T00:00:03.000Z"],
        ["m4", "sales", "Bob@example.org", "2026-01-01T00:00:04.000Z"],
        ["m5", "exact", "Ann@example.org", "2026-01-01T00:00:05.000Z"],
        ["m6", "exact", "ann@example.org", "2026-01-01T00:00:06.000Z"],
      ];
      for (const [id, instance, address, created] of rows) {
        await client.execute({
          sql: `insert into mailboxes (id, instance_id, address, protocol, host, port, security, login, auth_method,
                  key_id, sealed, registration_id, created_at, updated_at, credentials_updated_at)
                values (?, ?, ?, 'imap', 'imap.example.org', 993, 'tls', 'x', 'password', 'k', 's', ?, ?, ?, ?)`,
          args: [id, instance, address, `r-${id}`, created, created, created],
        });
      }
    } finally {
      client.close();
    }
  }

  it("gives every mailbox its key and reports (does not merge) mailboxes that differ only by case; they keep working", async () => {
    const url = `file:${dir}/old.db`;
    await oldDatabase(url);
    const migrated = await openStore({ url });
    try {
      expect(migrated.addressDuplicates).toEqual([
        {
          instanceId: "sales",
          addressKey: "ann@example.org",
          kept: { id: "m1", address: "Ann@example.org" },
          duplicates: [
            { id: "m2", address: "ann@example.org" },
            { id: "m3", address: "ANN@example.org" },
          ],
        },
      ]);
      const keys = (await migrated.client.execute("select id, address_key from mailboxes order by id")).rows;
      expect(keys.map((r) => [r.id, r.address_key])).toEqual([
        ["m1", "ann@example.org"],
        ["m2", null],
        ["m3", null],
        ["m4", "bob@example.org"],
        ["m5", "Ann@example.org"],
        ["m6", "ann@example.org"],
      ]);
      // nothing merged or lost; each duplicate is still found by its exact address
      expect(await listMailboxes(migrated)).toHaveLength(6);
      expect((await findMailbox(migrated, "sales", "ann@example.org"))?.id).toBe("m2");
      expect((await findMailbox(migrated, "sales", "ANN@example.org"))?.id).toBe("m3");
      expect((await findMailbox(migrated, "sales", "aNN@example.org"))?.id).toBe("m1");
      expect((await findMailbox(migrated, "sales", "BOB@example.org"))?.id).toBe("m4");
    } finally {
      migrated.close();
    }
    // reported again at every start until an admin merges or deletes them
    const again = await openStore({ url });
    expect(again.addressDuplicates?.map((d) => d.duplicates.length)).toEqual([2]);
    again.close();
  });

  it("a fresh database reports no duplicates", () => {
    expect(store.addressDuplicates).toEqual([]);
  });
});

describe("an instance changing its addressCase", () => {
  it("re-keys its mailboxes: turned sensitive, Ann@ no longer finds ann@; turned back, the two that collide are reported, not merged", async () => {
    const ann = await apply("Ann@example.org", "sales");
    await upsertInstances(store, [{ id: "sales", label: "Sales", settings: { addressCase: "sensitive" } }]);
    expect(await rekeyAddresses(store)).toEqual([]);
    expect(await findMailbox(store, "sales", "ann@example.org")).toBeUndefined();
    const lower = await apply("ann@example.org", "sales");
    expect(lower.created).toBe(true);
    await upsertInstances(store, [{ id: "sales", label: "Sales" }]);
    const reported = await rekeyAddresses(store);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ instanceId: "sales", addressKey: "ann@example.org" });
    const ids = [reported[0]!.kept.id, ...reported[0]!.duplicates.map((d) => d.id)].sort();
    expect(ids).toEqual([ann.mailbox.id, lower.mailbox.id].sort());
    expect(await listMailboxes(store, { instanceId: "sales" })).toHaveLength(2);
    expect((await findMailbox(store, "sales", "Ann@example.org"))?.id).toBe(ann.mailbox.id);
    expect((await findMailbox(store, "sales", "ann@example.org"))?.id).toBe(lower.mailbox.id);
  });
});
