import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { isMailregError } from "@mailreg/core";
import { drizzle } from "drizzle-orm/libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "./migrate.ts";
import { countRegistrations, insertRegistration } from "./registrations.ts";
import * as schema from "./schema.ts";
import { openStore } from "./store.ts";
import { makeRegistration } from "./testing.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-migrate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** How many migrations the package ships (drizzle-kit's journal lists them). */
const shipped = (
  JSON.parse(readFileSync(new URL("../drizzle/meta/_journal.json", import.meta.url), "utf8")) as {
    entries: unknown[];
  }
).entries.length;

async function appliedMigrations(url: string): Promise<number> {
  const client = createClient({ url });
  try {
    const rows = await client.execute("select count(*) as n from __drizzle_migrations");
    return Number(rows.rows[0]?.n);
  } finally {
    client.close();
  }
}

function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", tsx, ...args], {
      cwd: packageDir,
      env: { ...process.env, ...env },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("migrate()", () => {
  it("applies the migrations once: opening again or migrating again changes nothing and keeps the data", async () => {
    const url = `file:${dir}/m.db`;
    const first = await openStore({ url });
    await insertRegistration(first, makeRegistration());
    await migrate(first);
    first.close();
    const second = await openStore({ url });
    const kept = await countRegistrations(second);
    second.close();
    expect(kept).toBe(1);
    expect(await appliedMigrations(url)).toBe(shipped);
  });

  it("two stores opening the same new file at once both come up migrated", async () => {
    const url = `file:${dir}/race.db`;
    const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
    await Promise.all(stores.map((s) => insertRegistration(s, makeRegistration())));
    expect(await countRegistrations(stores[0]!)).toBe(3);
    for (const s of stores) s.close();
    expect(await appliedMigrations(url)).toBe(shipped);
  });

  it("two migrations racing on one new file both succeed: the one that loses finds the work done", async () => {
    const url = `file:${dir}/raw.db`;
    // Stores made by hand share no write queue, so their migrations really interleave.
    const stores = [0, 1].map(() => {
      const client = createClient({ url, timeout: 5000 });
      return { client, db: drizzle(client, { schema }), url, close: () => client.close() };
    });
    await Promise.all(stores.map((s) => migrate(s)));
    for (const s of stores) s.close();
    expect(await appliedMigrations(url)).toBe(shipped);
  });

  it("four processes opening the same new file at once all succeed and migrate it once", async () => {
    const url = `file:${dir}/procs.db`;
    const START_AT = String(Date.now() + 4000);
    const runs = await Promise.all(
      ["a", "b", "c", "d"].map((name) =>
        runNode(["test/fixtures/store-cli.ts", "write", url, name], { START_AT }),
      ),
    );
    for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(await appliedMigrations(url)).toBe(shipped);
    const store = await openStore({ url });
    const n = await countRegistrations(store);
    store.close();
    expect(n).toBe(4);
  });

  it("refuses a database whose tables clash with the schema with MIGRATION_FAILED", async () => {
    const url = `file:${dir}/clash.db`;
    const client = createClient({ url });
    await client.execute("create table registrations (something text)");
    client.close();
    const error = await openStore({ url }).catch((e: unknown) => e);
    expect(isMailregError(error, "MIGRATION_FAILED")).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });
});
