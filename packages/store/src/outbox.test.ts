import { isMailregError } from "@mailreg/core";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import {
  claimDueOutbox,
  countOutbox,
  failOutboxMessage,
  getOutboxMessage,
  insertOutboxMessage,
  listOutbox,
  markOutboxSent,
  readOutboxRaw,
  recordSentCopy,
  requeueOutboxMessage,
  retryOutboxLater,
} from "./outbox.ts";
import { insertRegistration } from "./registrations.ts";
import { outbox } from "./schema.ts";
import type { Store } from "./store.ts";
import { makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";

const T0 = new Date("2026-11-25T12:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
let store: Store;
let mailboxId: string;
let n = 0;

beforeEach(async () => {
  n = 0;
  store = await openMemoryStore();
  await upsertInstances(store, [{ id: "i", label: "I" }]);
  const record = await insertRegistration(store, makeRegistration());
  ({
    mailbox: { id: mailboxId },
  } = await applyRegistration(store, {
    id: record.id,
    instanceId: "i",
    actor: "t",
    profile: makeProfile(record),
  }));
});
afterEach(() => store.close());

function queue(when = T0) {
  n++;
  const id = `0193a4f2-7c1e-7000-8000-${String(n).padStart(12, "0")}`;
  return insertOutboxMessage(store, {
    id,
    mailboxId,
    messageId: `<m${n}@example.org>`,
    raw: new TextEncoder().encode(`Message-ID: <m${n}@example.org>\r\n\r\nbody ${n}\r\n`),
    envelope: { from: "a@example.org", to: ["b@example.org"] },
    at: when,
  });
}

describe("the outbox queries", () => {
  it("keep the raw source apart from the state, and return it by id", async () => {
    const { message, created } = await queue();
    expect(created).toBe(true);
    expect(message).toMatchObject({
      status: "queued",
      attempts: 0,
      size: "Message-ID: <m1@example.org>\r\n\r\nbody 1\r\n".length,
      nextAttemptAt: T0.toISOString(),
    });
    expect(message).not.toHaveProperty("raw");
    const full = await getOutboxMessage(store, message.id);
    expect(new TextDecoder().decode(full.raw)).toBe("Message-ID: <m1@example.org>\r\n\r\nbody 1\r\n");
    expect([...(await readOutboxRaw(store, [message.id, "missing"])).keys()]).toEqual([message.id]);
    expect((await listOutbox(store)).map((m) => m.id)).toEqual([message.id]);
  });

  it("queue a Message-ID once per mailbox and refuse an unknown mailbox", async () => {
    const first = await queue();
    const again = await insertOutboxMessage(store, {
      id: "0193a4f2-7c1e-7000-8000-999999999999",
      mailboxId,
      messageId: first.message.messageId ?? "",
      raw: new Uint8Array([1]),
      envelope: { from: "x@example.org", to: ["y@example.org"] },
    });
    expect(again).toEqual({ message: first.message, created: false });
    const error = await insertOutboxMessage(store, {
      id: "0193a4f2-7c1e-7000-8000-999999999998",
      mailboxId: "0193a4f2-7c1e-7000-8000-000000000000",
      messageId: "<x@example.org>",
      raw: new Uint8Array([1]),
      envelope: { from: "x@example.org", to: ["y@example.org"] },
    }).catch((e: unknown) => e);
    expect(isMailregError(error, "NOT_FOUND")).toBe(true);
  });

  it("claim due messages once, oldest first, counting attempts, and again only after the claim expired", async () => {
    const a = (await queue(T0)).message;
    const b = (await queue(at(1000))).message;
    await queue(at(60_000)); // not due yet
    const claimed = await claimDueOutbox(store, { token: "one", now: at(1000), leaseMs: 30_000, limit: 10 });
    expect(claimed.map((m) => [m.id, m.status, m.attempts, m.claimToken])).toEqual([
      [a.id, "sending", 1, "one"],
      [b.id, "sending", 1, "one"],
    ]);
    expect(
      await claimDueOutbox(store, { token: "two", now: at(30_999), leaseMs: 30_000, limit: 10 }),
    ).toEqual([]);
    const again = await claimDueOutbox(store, { token: "two", now: at(31_000), leaseMs: 30_000, limit: 1 });
    expect(again.map((m) => [m.id, m.attempts, m.claimToken])).toEqual([[a.id, 2, "two"]]);
  });

  it("end a claim only for its holder, but record a send whoever holds the claim", async () => {
    const { message } = await queue();
    await claimDueOutbox(store, { token: "old", now: T0, leaseMs: 1000, limit: 1 });
    await claimDueOutbox(store, { token: "new", now: at(1000), leaseMs: 1000, limit: 1 });
    const failure = { id: message.id, error: "451 busy", errorCode: "SMTP_TEMPORARY", response: "451 busy" };
    expect(await retryOutboxLater(store, { ...failure, token: "old", nextAttemptAt: at(5000) })).toBe(false);
    expect(await failOutboxMessage(store, { ...failure, token: "old" })).toBe(false);
    expect((await getOutboxMessage(store, message.id)).claimToken).toBe("new");
    expect(await markOutboxSent(store, [{ id: message.id, at: at(1500), response: "250 ok" }])).toBe(1);
    expect(await markOutboxSent(store, [{ id: message.id, at: at(1600), response: "250 again" }])).toBe(0);
    expect(await retryOutboxLater(store, { ...failure, token: "new", nextAttemptAt: at(5000) })).toBe(false);
    expect(await getOutboxMessage(store, message.id)).toMatchObject({
      status: "sent",
      sentAt: at(1500).toISOString(),
      response: "250 ok",
      claimToken: null,
      nextAttemptAt: null,
    });
  });

  it("mark a group sent in one call, with a note for one of them", async () => {
    const ids = [(await queue()).message.id, (await queue()).message.id, (await queue()).message.id];
    await claimDueOutbox(store, { token: "t", now: T0, leaseMs: 1000, limit: 10 });
    const marked = await markOutboxSent(store, [
      { id: ids[0]!, at: T0, response: "250 a" },
      { id: ids[1]!, at: T0, response: "250 b", note: "Not accepted for x@example.org (550 no)" },
    ]);
    expect(marked).toBe(2);
    expect((await listOutbox(store)).map((m) => [m.status, m.response, m.lastError])).toEqual([
      ["sent", "250 a", null],
      ["sent", "250 b", "Not accepted for x@example.org (550 no)"],
      ["sending", null, null],
    ]);
    expect(await countOutbox(store)).toEqual({ queued: 0, sending: 1, sent: 2, failed: 0 });
  });

  it("requeue only a failed message, and record where the sent copy went", async () => {
    const { message } = await queue();
    await claimDueOutbox(store, { token: "t", now: T0, leaseMs: 1000, limit: 1 });
    expect(
      await failOutboxMessage(store, {
        id: message.id,
        token: "t",
        error: "550 no",
        errorCode: "SMTP_PERMANENT",
      }),
    ).toBe(true);
    const requeued = await requeueOutboxMessage(store, message.id, at(10));
    expect(requeued).toMatchObject({ status: "queued", attempts: 0, nextAttemptAt: at(10).toISOString() });
    const conflict = await requeueOutboxMessage(store, message.id).catch((e: unknown) => e);
    expect(isMailregError(conflict, "CONFLICT")).toBe(true);
    await recordSentCopy(store, message.id, { folder: "Sent" });
    expect((await getOutboxMessage(store, message.id)).sentFolder).toBe("Sent");
  });

  it("clears a failed copy's error once a copy went through, and keeps a note of the send", async () => {
    const { message } = await queue();
    await recordSentCopy(store, message.id, { error: "Sent, but not copied", errorCode: "MAIL_PROTOCOL" });
    expect(await getOutboxMessage(store, message.id)).toMatchObject({
      sentFolder: null,
      lastError: "Sent, but not copied",
      errorCode: "MAIL_PROTOCOL",
    });
    await recordSentCopy(store, message.id, { folder: "Sent" });
    expect(await getOutboxMessage(store, message.id)).toMatchObject({
      sentFolder: "Sent",
      lastError: null,
      errorCode: null,
    });
    await store.db
      .update(outbox)
      .set({ lastError: "Not accepted for x@y" })
      .where(eq(outbox.id, message.id))
      .run();
    await recordSentCopy(store, message.id, { folder: "Sent" });
    expect((await getOutboxMessage(store, message.id)).lastError).toBe("Not accepted for x@y");
  });
});
