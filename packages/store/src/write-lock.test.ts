import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { listMailboxes } from "./mailboxes.ts";
import { countRegistrations, importRegistrations, insertRegistration } from "./registrations.ts";
import { openStore } from "./store.ts";
import { makeProfile, makeRegistration } from "./testing.ts";
import { setOpenNow } from "./windows.ts";
import { writeTransaction } from "./write-lock.ts";

describe("writes from one process", () => {
  it("overlapping writers through two stores on one file all succeed, without waiting out the busy timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailreg-lock-"));
    try {
      const url = `file:${dir}/w.db`;
      const [a, b] = await Promise.all([openStore({ url }), openStore({ url })]);
      await upsertInstances(a!, [{ id: "main", label: "Main" }]);
      const records = await Promise.all(
        Array.from({ length: 20 }, () => insertRegistration(b!, makeRegistration())),
      );
      const started = performance.now();
      await Promise.all([
        // a transaction that awaits in the middle, as an admin request would
        writeTransaction(a!, async (tx) => {
          await tx.run(
            "insert into settings (key, value, updated_at) values ('slow', '1', '2026-01-01T00:00:00.000Z')",
          );
          await new Promise((resolve) => setTimeout(resolve, 50));
        }),
        ...records.map((r, i) =>
          applyRegistration(i % 2 === 0 ? a! : b!, {
            id: r.id,
            instanceId: "main",
            actor: "admin",
            profile: makeProfile(r),
          }),
        ),
        importRegistrations(
          b!,
          Array.from({ length: 2000 }, () => makeRegistration()),
          { batchSize: 100 },
        ),
        setOpenNow(a!, true, { actor: "admin" }),
      ]);
      const elapsed = performance.now() - started;
      expect(await countRegistrations(a!)).toBe(2020);
      expect(await listMailboxes(b!)).toHaveLength(20);
      expect(elapsed).toBeLessThan(3000);
      a!.close();
      b!.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
