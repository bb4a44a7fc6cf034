import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BUSY_TIMEOUT_MS, openStore } from "./store.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("openStore()", () => {
  it("creates the database file and its missing parent folders", async () => {
    const store = await openStore({ url: `file:${dir}/a/b/mailreg.db` });
    const tables = await store.client.execute("select name from sqlite_schema where type = 'table'");
    store.close();
    expect(tables.rows.map((r) => r.name)).toContain("registrations");
  });

  it("accepts file:///absolute and relative file: URLs", async () => {
    const absolute = await openStore({ url: `file://${dir}/abs.db` });
    absolute.close();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const relative = await openStore({ url: "file:./data/rel.db" });
      relative.close();
    } finally {
      process.chdir(cwd);
    }
    const check = createClient({ url: `file:${dir}/data/rel.db` });
    const rows = await check.execute("select count(*) as n from registrations");
    check.close();
    expect(rows.rows[0]?.n).toBe(0);
  });

  it("puts a file database in WAL mode with busy timeout, foreign keys and synchronous=NORMAL on every connection", async () => {
    const store = await openStore({ url: `file:${dir}/wal.db` });
    const pragmas = (name: string) =>
      Promise.all(Array.from({ length: 8 }, () => store.client.execute(`PRAGMA ${name}`))).then((all) =>
        all.map((r) => Object.values(r.rows[0] ?? {})[0]),
      );
    const journal = await pragmas("journal_mode");
    const sync = await pragmas("synchronous");
    const fk = await pragmas("foreign_keys");
    const busy = await pragmas("busy_timeout");
    store.close();
    expect(journal).toEqual(Array(8).fill("wal"));
    expect(sync).toEqual(Array(8).fill(1));
    expect(fk).toEqual(Array(8).fill(1));
    expect(busy).toEqual(Array(8).fill(BUSY_TIMEOUT_MS));
  });

  it("opens an in-memory store for tests", async () => {
    const store = await openStore({ url: "file::memory:" });
    const n = await store.client.execute("select count(*) as n from registrations");
    store.close();
    expect(n.rows[0]?.n).toBe(0);
  });

  it("refuses a database path it cannot create with STORE_UNAVAILABLE", async () => {
    writeFileSync(join(dir, "not-a-folder"), "x");
    const error = await openStore({ url: `file:${dir}/not-a-folder/mailreg.db` }).catch((e: unknown) => e);
    expect(isMailregError(error, "STORE_UNAVAILABLE")).toBe(true);
  });

  it("refuses an unsupported URL with STORE_UNAVAILABLE and keeps credentials out of the message", async () => {
    const error = await openStore({ url: "ftp://user:hunter2@example.com/db?authToken=s3cret" }).catch(
      (e: unknown) => e,
    );
    expect(isMailregError(error, "STORE_UNAVAILABLE")).toBe(true);
    const text = JSON.stringify((error as Error & { toJSON(): unknown }).toJSON());
    expect(text).not.toMatch(/hunter2|s3cret/);
    expect(text).toContain("ftp://example.com/db");
  });

  it("reports an unreachable libSQL server as STORE_UNAVAILABLE", async () => {
    const error = await openStore({ url: "http://127.0.0.1:9/", authToken: "t0ken" }).catch(
      (e: unknown) => e,
    );
    expect(isMailregError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect(String((error as Error).message)).not.toContain("t0ken");
  });
});
