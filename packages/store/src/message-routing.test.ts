import { newId } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { commitMessageChunk, getMessage, listDeadLetters } from "./mail-sync.ts";
import {
  getDeadLetter,
  listMessageSinks,
  listStoredMessageRefs,
  recordDeadLetterAttempt,
  recordSinkResult,
  recordSinkResults,
  sinkStatesOf,
} from "./message-routing.ts";
import * as schema from "./schema.ts";
import type { Store } from "./store.ts";
import { insertTestMailbox, openMemoryStore } from "./testing.ts";

async function storeMessages(store: Store, mailboxId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId());
  await commitMessageChunk(store, {
    inserts: ids.map((id, i) => ({
      id,
      mailboxId,
      folder: "INBOX",
      uidvalidity: 1,
      uid: i + 1,
      contentHash: "0".repeat(64),
      size: 10,
      flags: [],
      envelope: { subject: `m${i}` },
      raw: new TextEncoder().encode(`Subject: m${i}\r\n\r\nx`),
      storedAt: new Date().toISOString(),
    })),
  });
  return ids;
}

describe("message_sinks", () => {
  it("records each sink's outcome once per message and shows a later outcome with the attempts added", async () => {
    const store = await openMemoryStore();
    const [a, b] = await storeMessages(store, await insertTestMailbox(store), 2);
    await recordSinkResults(store, [
      { messageRowId: a!, sink: "crm", state: "dead-letter", attempts: 5, lastError: "HTTP 503" },
      { messageRowId: a!, sink: "archive", state: "delivered" },
      { messageRowId: b!, sink: "crm", state: "dropped" },
    ]);
    expect(await recordSinkResult(store, { messageRowId: a!, sink: "crm", state: "delivered" })).toBe(true);
    const rows = await listMessageSinks(store, a!);
    expect(rows.map((r) => [r.sink, r.state, r.attempts, r.lastError])).toEqual([
      ["archive", "delivered", 1, null],
      ["crm", "delivered", 6, null],
    ]);
    const states = await sinkStatesOf(store, [a!, b!, newId()]);
    expect(Object.fromEntries(states.get(b!)!)).toEqual({ crm: "dropped" });
    expect(states.size).toBe(2);
    store.close();
  });

  it("skips an outcome for a message that no longer exists instead of failing the batch", async () => {
    const store = await openMemoryStore();
    const [a] = await storeMessages(store, await insertTestMailbox(store), 1);
    expect(
      await recordSinkResults(store, [
        { messageRowId: newId(), sink: "crm", state: "delivered" },
        { messageRowId: a!, sink: "crm", state: "delivered" },
      ]),
    ).toBe(1);
    store.close();
  });

  it("a deleted message takes its sink records with it", async () => {
    const store = await openMemoryStore();
    const [a] = await storeMessages(store, await insertTestMailbox(store), 1);
    await recordSinkResult(store, { messageRowId: a!, sink: "crm", state: "delivered" });
    await store.client.execute({ sql: "delete from messages where id = ?", args: [a!] });
    expect(await listMessageSinks(store, a!)).toEqual([]);
    store.close();
  });
});

describe("listStoredMessageRefs()", () => {
  it("pages through a mailbox or an instance in stored order without gaps or repeats", async () => {
    const store = await openMemoryStore();
    const m1 = await insertTestMailbox(store, { instanceId: "one" });
    const m2 = await insertTestMailbox(store, { instanceId: "two" });
    const ids = await storeMessages(store, m1, 7);
    await storeMessages(store, m2, 3);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listStoredMessageRefs(store, {
        instanceId: "one",
        limit: 3,
        ...(after === undefined ? {} : { after }),
      });
      seen.push(...page.map((p) => p.id));
      if (page.length < 3) break;
      after = page.at(-1)!.id;
    }
    expect(seen).toEqual(ids);
    expect(await listStoredMessageRefs(store, { mailboxIds: [m2] })).toHaveLength(3);
    expect((await listStoredMessageRefs(store))[0]).toMatchObject({
      folder: "INBOX",
      uid: 1,
      rawPurgedAt: null,
    });
    store.close();
  });
});

describe("dead letters", () => {
  it("a failed retry adds its attempts and replaces the error", async () => {
    const store = await openMemoryStore();
    const mailboxId = await insertTestMailbox(store);
    const [a] = await storeMessages(store, mailboxId, 1);
    await commitMessageChunk(store, {
      deadLetters: [
        {
          mailboxId,
          messageRowId: a!,
          sink: "crm",
          event: "message.stored",
          payload: {},
          attempts: 5,
          lastError: "HTTP 503",
        },
      ],
    });
    const [letter] = await listDeadLetters(store);
    expect(await recordDeadLetterAttempt(store, letter!.id, { attempts: 2, lastError: "HTTP 502" })).toBe(
      true,
    );
    expect(await getDeadLetter(store, letter!.id)).toMatchObject({ attempts: 7, lastError: "HTTP 502" });
    expect(await recordDeadLetterAttempt(store, newId(), { attempts: 1, lastError: "x" })).toBe(false);
    expect((await getMessage(store, a!))?.id).toBe(a);
    expect(await store.db.select().from(schema.deadLetters).all()).toHaveLength(1);
    store.close();
  });
});
