import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { restrictDatabaseFiles } from "./file-path.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-file-path-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("restrictDatabaseFiles()", () => {
  it("creates a missing database file 0600", async () => {
    const file = join(dir, "new.db");
    await restrictDatabaseFiles(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("leaves the locks of a connection this process has open alone: another process's last close does not delete the WAL under it, and its commits stay visible", async () => {
    const file = join(dir, "shared.db");
    const here = createClient({ url: `file:${file}` });
    try {
      await here.execute("PRAGMA journal_mode = WAL");
      await here.execute("CREATE TABLE t (n INTEGER)");
      await here.execute("INSERT INTO t VALUES (1)");
      // a second store opening the same file in this process runs this before its own connection
      await restrictDatabaseFiles(file);
      // another process (the CLI applying a registration) writes and closes its only connection
      const repo = fileURLToPath(new URL("../../..", import.meta.url));
      execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { createClient } from "@libsql/client";
           const c = createClient({ url: ${JSON.stringify(`file:${file}`)} });
           await c.execute("INSERT INTO t VALUES (2)");
           c.close();`,
        ],
        { cwd: repo },
      );
      const rows = await here.execute("SELECT n FROM t ORDER BY n");
      expect(rows.rows.map((r) => Number(r.n))).toEqual([1, 2]);
      expect(statSync(`${file}-wal`).isFile()).toBe(true);
    } finally {
      here.close();
    }
  });
});
