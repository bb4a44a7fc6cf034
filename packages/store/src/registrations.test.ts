import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMailregError, type RegistrationRecord } from "@mailreg/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countRegistrations,
  getRegistration,
  importRegistrations,
  insertRegistration,
  iterateRegistrations,
  listRegistrations,
} from "./registrations.ts";
import { openStore, type Store } from "./store.ts";
import { makeRegistration } from "./testing.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-registrations-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
async function freshStore(): Promise<Store> {
  return await openStore({ url: `file:${dir}/r${++fileNo}.db` });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("insertRegistration() and getRegistration()", () => {
  it("give back exactly the record that went in, optional fields and decision included", async () => {
    const store = await freshStore();
    const plain = makeRegistration();
    const full = makeRegistration({
      displayName: "Ann Example",
      template: "corp-imap",
      status: "rejected",
      decision: { by: "admin", at: "2026-11-20T10:00:00+01:00", reason: "unknown sender" },
    });
    await insertRegistration(store, plain);
    await insertRegistration(store, full);
    expect(await getRegistration(store, plain.id)).toEqual(plain);
    expect(await getRegistration(store, full.id)).toEqual(full);
    store.close();
  });

  it("refuses a second registration with the same id with CONFLICT and keeps the first", async () => {
    const store = await freshStore();
    const first = makeRegistration();
    await insertRegistration(store, first);
    const error = await caught(insertRegistration(store, { ...first, sealed: "other" }));
    expect(isMailregError(error, "CONFLICT")).toBe(true);
    expect((await getRegistration(store, first.id)).sealed).toBe(first.sealed);
    store.close();
  });

  it("refuses an invalid record with VALIDATION naming the fields, and stores nothing", async () => {
    const store = await freshStore();
    const bad = { ...makeRegistration(), port: 0, id: "not-a-uuid" } as RegistrationRecord;
    const error = await caught(insertRegistration(store, bad));
    expect(isMailregError(error, "VALIDATION")).toBe(true);
    expect((error as { details: { fields: string[] } }).details.fields.sort()).toEqual(["id", "port"]);
    expect(await countRegistrations(store)).toBe(0);
    store.close();
  });

  it("getRegistration() of an unknown id fails with NOT_FOUND", async () => {
    const store = await freshStore();
    const error = await caught(getRegistration(store, makeRegistration().id));
    expect(isMailregError(error, "NOT_FOUND")).toBe(true);
    store.close();
  });
});

describe("listRegistrations() and countRegistrations()", () => {
  it("page through one status in id order with the last id as cursor", async () => {
    const store = await freshStore();
    const records = Array.from({ length: 25 }, (_, i) =>
      makeRegistration({
        status: i % 5 === 0 ? "applied" : "pending",
        ...(i % 5 === 0 ? { decision: { by: "a", at: "2026-01-01T00:00:00Z", instance: "x" } } : {}),
      }),
    );
    await importRegistrations(store, [...records].reverse());
    const pending = records.filter((r) => r.status === "pending").map((r) => r.id);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listRegistrations(
        store,
        after === undefined ? { status: "pending", limit: 7 } : { status: "pending", limit: 7, after },
      );
      seen.push(...page.map((r) => r.id));
      if (page.length < 7) break;
      after = page[page.length - 1]!.id;
    }
    expect(seen).toEqual(pending);
    expect(await countRegistrations(store)).toBe(25);
    expect(await countRegistrations(store, { status: "applied" })).toBe(5);
    store.close();
  });

  it("refuses a limit out of range with VALIDATION", async () => {
    const store = await freshStore();
    expect(isMailregError(await caught(listRegistrations(store, { limit: 0 })), "VALIDATION")).toBe(true);
    store.close();
  });
});

describe("importRegistrations()", () => {
  it("counts inserted and skipped, and a duplicate id within one batch is inserted once", async () => {
    const store = await freshStore();
    const a = makeRegistration();
    const b = makeRegistration();
    await insertRegistration(store, a);
    const progress: number[] = [];
    const result = await importRegistrations(store, [a, b, b, makeRegistration()], {
      batchSize: 2,
      onProgress: (p) => progress.push(p.inserted + p.skipped),
    });
    expect(result).toEqual({ inserted: 2, skipped: 2 });
    expect(progress).toEqual([2, 4]);
    expect(await countRegistrations(store)).toBe(3);
    store.close();
  });

  it("keeps the stored record when the file holds another version of it", async () => {
    const store = await freshStore();
    const stored = makeRegistration({
      status: "applied",
      decision: { by: "admin", at: "2026-01-01T00:00:00Z", instance: "main" },
    });
    await insertRegistration(store, stored);
    await importRegistrations(store, [
      { ...stored, status: "pending", decision: undefined } as RegistrationRecord,
    ]);
    expect(await getRegistration(store, stored.id)).toEqual(stored);
    store.close();
  });

  it("stops at an invalid record with VALIDATION and its index, keeping the batches before it", async () => {
    const store = await freshStore();
    const good = Array.from({ length: 4 }, () => makeRegistration());
    const bad = { ...makeRegistration(), address: "no-at-sign" };
    const error = await caught(importRegistrations(store, [...good, bad], { batchSize: 2 }));
    expect(isMailregError(error, "VALIDATION")).toBe(true);
    expect((error as { details: { index: number; fields: string[] } }).details).toMatchObject({
      index: 4,
      fields: ["address"],
    });
    expect(await countRegistrations(store)).toBe(4);
    store.close();
  });

  it("refuses a batch size above what one INSERT can bind", async () => {
    const store = await freshStore();
    const error = await caught(importRegistrations(store, [], { batchSize: 5000 }));
    expect(isMailregError(error, "VALIDATION")).toBe(true);
    store.close();
  });

  it("imports 100,000 records exactly, a second import of the same inserts none, and an export streams them in id order", async () => {
    const store = await freshStore();
    const total = 100_000;
    const base = Date.UTC(2026, 0, 1);
    // Ids spread over time and generated out of order, so that id order is not insertion order.
    async function* records(): AsyncGenerator<RegistrationRecord> {
      for (let i = 0; i < total; i++) {
        const n = (i * 7919) % total;
        const ms = (base + n * 1000).toString(16).padStart(12, "0");
        const id = `${ms.slice(0, 8)}-${ms.slice(8)}-7000-8000-${n.toString(16).padStart(12, "0")}`;
        yield makeRegistration({ id, address: `user${n}@example.com`, login: `user${n}` });
      }
    }
    const started = performance.now();
    const first = await importRegistrations(store, records());
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `importRegistrations: ${total} records in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} records/s`,
    );
    expect(first).toEqual({ inserted: total, skipped: 0 });
    expect(await countRegistrations(store)).toBe(total);

    const again = await importRegistrations(store, records());
    expect(again).toEqual({ inserted: 0, skipped: total });
    expect(await countRegistrations(store)).toBe(total);

    let count = 0;
    let previous = "";
    let inOrder = true;
    for await (const record of iterateRegistrations(store, { batchSize: 1000 })) {
      if (record.id <= previous) inOrder = false;
      previous = record.id;
      count++;
    }
    expect(count).toBe(total);
    expect(inOrder).toBe(true);
    store.close();
  }, 240_000);

  it("iterateRegistrations() reads one batch at a time and filters by status", async () => {
    const store = await freshStore();
    const records = Array.from({ length: 10 }, (_, i) =>
      makeRegistration({
        status: i < 3 ? "rejected" : "pending",
        ...(i < 3 ? { decision: { by: "a", at: "2026-01-01T00:00:00Z" } } : {}),
      }),
    );
    await importRegistrations(store, records);
    const iterator = iterateRegistrations(store, { batchSize: 4 });
    const first = await iterator.next();
    // After the first record only the first batch of four has been read: a record added now, with
    // the largest id, is still seen by the iterator.
    const late = makeRegistration();
    await insertRegistration(store, late);
    const rest: string[] = [];
    for await (const r of iterator) rest.push(r.id);
    expect([first.value?.id, ...rest]).toEqual([...records.map((r) => r.id), late.id]);
    const rejected: string[] = [];
    for await (const r of iterateRegistrations(store, { status: "rejected", batchSize: 2 }))
      rejected.push(r.id);
    expect(rejected).toEqual(records.slice(0, 3).map((r) => r.id));
    store.close();
  });
});
