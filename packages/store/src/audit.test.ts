import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendAudit, listAudit } from "./audit.ts";
import type { Store } from "./store.ts";
import { openMemoryStore } from "./testing.ts";
import { writeTransaction } from "./write-lock.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
});
afterEach(() => store.close());

describe("appendAudit() and listAudit()", () => {
  it("list entries oldest first, by subject, and after a cursor", async () => {
    const at = new Date("2026-11-25T10:00:00.000Z");
    for (const subjectId of ["a", "b", "a", "c", "a"]) {
      await appendAudit(store, { actor: "admin", action: "x.test", subjectType: "thing", subjectId, at });
    }
    const all = await listAudit(store);
    expect(all.map((e) => e.subjectId)).toEqual(["a", "b", "a", "c", "a"]);
    expect(all[0]).toMatchObject({ at: at.toISOString(), actor: "admin", details: {} });
    const ofA = await listAudit(store, { subjectId: "a", limit: 2 });
    expect(ofA.map((e) => e.id)).toEqual([all[0]!.id, all[2]!.id]);
    const next = await listAudit(store, { subjectId: "a", after: ofA[1]!.id });
    expect(next.map((e) => e.id)).toEqual([all[4]!.id]);
  });

  it("joins the caller's transaction: when it rolls back, the entry is gone too", async () => {
    const error = await writeTransaction(store, async (tx) => {
      await appendAudit(tx, { actor: "admin", action: "x.test", subjectType: "thing" });
      throw new Error("changed my mind");
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await listAudit(store)).toEqual([]);
  });

  it("refuses details that name a secret, at any depth", async () => {
    const error = await appendAudit(store, {
      actor: "a",
      action: "x",
      subjectType: "t",
      details: { profile: { password: "pw" } },
    }).catch((e: unknown) => e);
    expect(isMailregError(error, "VALIDATION")).toBe(true);
    expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.toContain('pw"');
    expect(await listAudit(store)).toEqual([]);
  });
});
