import { newId } from "@mailreg/core";
import { searchText } from "@mailreg/message";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { listAudit } from "./audit.ts";
import { commitMessageChunk, getMessage } from "./mail-sync.ts";
import { indexPendingMessageText } from "./message-index.ts";
import { listMessageSinks, recordSinkResult } from "./message-routing.ts";
import { deleteMessagesOlderThan, purgeRawOlderThan } from "./retention.ts";
import * as schema from "./schema.ts";
import type { Store } from "./store.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";

const DAY = 86_400_000;

/** Stores one message per age (in days), returns their ids in that order. */
async function storeAged(store: Store, mailboxId: string, ages: number[]): Promise<string[]> {
  const ids = ages.map(() => newId());
  await commitMessageChunk(store, {
    inserts: ids.map((id, i) => ({
      id,
      mailboxId,
      folder: "INBOX",
      uidvalidity: 1,
      uid: i + 1,
      contentHash: "0".repeat(64),
      size: 20,
      flags: [],
      envelope: { subject: `aged ${ages[i]} days`, from: [{ address: "sender@example.org" }] },
      raw: new TextEncoder().encode(`Subject: aged ${ages[i]} days\r\n\r\nbody`),
      storedAt: new Date(Date.now() - ages[i]! * DAY).toISOString(),
    })),
  });
  return ids;
}

/** The search indexer's pass: header fields and text body indexed. */
async function markIndexed(store: Store): Promise<void> {
  await indexPendingMessageText(store, { extractText: searchText });
}

async function searchCount(store: Store, query: string): Promise<number> {
  const r = await store.client.execute({
    sql: "select count(*) as n from message_fts where message_fts match ?",
    args: [query],
  });
  return Number(r.rows[0]!.n);
}

describe("purgeRawOlderThan()", () => {
  it("empties raw sources older than the cutoff in batches, keeping metadata, search and routing records", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const ids = await storeAged(store, mailboxId, [40, 35, 31, 29, 1]);
    await markIndexed(store);
    await recordSinkResult(store, { messageRowId: ids[0]!, sink: "crm", state: "delivered" });
    const result = await purgeRawOlderThan(store, { before: new Date(Date.now() - 30 * DAY), batchSize: 2 });
    expect(result).toEqual({ purged: 3, waitingForIndex: 0 });
    const old = await getMessage(store, ids[0]!);
    expect(old?.raw.length).toBe(0);
    expect(old?.rawPurgedAt).not.toBeNull();
    expect(old).toMatchObject({ size: 20, envelope: { subject: "aged 40 days" } });
    expect((await getMessage(store, ids[3]!))?.rawPurgedAt).toBeNull();
    expect((await getMessage(store, ids[3]!))?.raw.length).toBeGreaterThan(0);
    expect(await searchCount(store, "aged")).toBe(5);
    expect(await searchCount(store, "body")).toBe(5);
    expect(await listMessageSinks(store, ids[0]!)).toHaveLength(1);
    // a second run finds nothing more to do
    expect(await purgeRawOlderThan(store, { before: new Date(Date.now() - 30 * DAY) })).toEqual({
      purged: 0,
      waitingForIndex: 0,
    });
    store.close();
  });

  it("keeps the raw source of a message whose body the search index has not extracted yet", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [id] = await storeAged(store, mailboxId, [40]);
    const before = new Date(Date.now() - 30 * DAY);
    expect(await purgeRawOlderThan(store, { before })).toEqual({ purged: 0, waitingForIndex: 1 });
    expect((await getMessage(store, id!))?.rawPurgedAt).toBeNull();
    expect(await purgeRawOlderThan(store, { before, requireIndexed: false })).toEqual({
      purged: 1,
      waitingForIndex: 0,
    });
    store.close();
  });

  it("touches only the instance it is given", async () => {
    const store = await openMemoryStore();
    const one = await insertTestMailbox(store, { instanceId: "one" });
    const two = await insertTestMailbox(store, { instanceId: "two" });
    await storeAged(store, one, [40]);
    const [other] = await storeAged(store, two, [40]);
    await markIndexed(store);
    const before = new Date(Date.now() - 30 * DAY);
    expect((await purgeRawOlderThan(store, { before, instanceId: "one" })).purged).toBe(1);
    expect((await getMessage(store, other!))?.rawPurgedAt).toBeNull();
    store.close();
  });
});

describe("deleteMessagesOlderThan()", () => {
  it("deletes messages older than the cutoff with their search rows and sink records, and only those", async () => {
    const store = await openMemoryStore();
    const one = await insertTestMailbox(store, { instanceId: "one" });
    const two = await insertTestMailbox(store, { instanceId: "two" });
    const ids = await storeAged(store, one, [400, 370, 366, 10]);
    const [otherOld] = await storeAged(store, two, [400]);
    await markIndexed(store);
    await recordSinkResult(store, { messageRowId: ids[0]!, sink: "crm", state: "delivered" });
    const deleted = await deleteMessagesOlderThan(store, {
      before: new Date(Date.now() - 365 * DAY),
      instanceId: "one",
      batchSize: 2,
    });
    expect(deleted).toBe(3);
    expect(await getMessage(store, ids[0]!)).toBeUndefined();
    expect(await getMessage(store, ids[3]!)).toBeDefined();
    expect(await getMessage(store, otherOld!)).toBeDefined();
    expect(await searchCount(store, "aged")).toBe(2);
    expect(
      await store.db
        .select()
        .from(schema.messageSinks)
        .where(eq(schema.messageSinks.messageRowId, ids[0]!))
        .all(),
    ).toEqual([]);
    store.close();
  });
});

describe("retention with an audit actor", () => {
  it("writes one audit entry per batch that changed something, naming the instance and the count; a run with nothing to do writes none", async () => {
    const store = await openMemoryStore();
    const one = await insertTestMailbox(store, { instanceId: "one" });
    await storeAged(store, one, [400, 380, 370, 40, 35]);
    await markIndexed(store);
    const audit = { actor: "worker:w1" };
    expect(
      await deleteMessagesOlderThan(store, {
        before: new Date(Date.now() - 365 * DAY),
        instanceId: "one",
        batchSize: 2,
        audit,
      }),
    ).toBe(3);
    expect(
      (await purgeRawOlderThan(store, { before: new Date(Date.now() - 30 * DAY), instanceId: "one", audit }))
        .purged,
    ).toBe(2);
    const entries = await listAudit(store);
    expect(entries.map((e) => [e.action, e.actor, e.subjectType, e.subjectId, e.details.messages])).toEqual([
      ["retention.delete", "worker:w1", "instance", "one", 2],
      ["retention.delete", "worker:w1", "instance", "one", 1],
      ["retention.purge-raw", "worker:w1", "instance", "one", 2],
    ]);
    await deleteMessagesOlderThan(store, { before: new Date(Date.now() - 365 * DAY), audit });
    await purgeRawOlderThan(store, { before: new Date(Date.now() - 30 * DAY), audit });
    expect(await listAudit(store)).toHaveLength(3);
    store.close();
  });
});
