import { isMailregError } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { mailboxDirectory, memoryOutbox } from "./memory-outbox.ts";
import type { SendingMailbox } from "./ports.ts";

const T0 = new Date("2026-11-25T12:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const ann: SendingMailbox = {
  id: "ann",
  address: "Ann@Example.ORG",
  instanceId: "sales",
  template: null,
  login: "ann",
  authMethod: "password",
};
const message = (id: string, messageId = `<${id}@example.org>`) => ({
  id,
  mailboxId: "ann",
  messageId,
  raw: new TextEncoder().encode(`Message-ID: ${messageId}\r\n\r\nx\r\n`),
  envelope: { from: "ann@example.org", to: ["bob@example.org"] },
  at: T0,
});

describe("mailboxDirectory()", () => {
  it("finds a mailbox by its normalised address and refuses an unknown id", async () => {
    const directory = mailboxDirectory([ann]);
    expect((await directory.findByAddress("Ann@example.org")).map((m) => m.id)).toEqual(["ann"]);
    expect(await directory.findByAddress("Ann@example.org", { instanceId: "support" })).toEqual([]);
    // the local part in another case is the same mailbox, as in the store by default
    expect((await directory.findByAddress("ANN@Example.ORG")).map((m) => m.id)).toEqual(["ann"]);
    expect(await directory.findByAddress("not an address")).toEqual([]);
    await expect(directory.get("bob")).rejects.toSatisfy((e) => isMailregError(e, "NOT_FOUND"));
  });
});

describe("memoryOutbox()", () => {
  it("queues a Message-ID once per mailbox and refuses a mailbox it does not know", async () => {
    const { queue, counts } = memoryOutbox({ mailboxes: [ann] });
    expect((await queue.insert(message("m1"))).created).toBe(true);
    expect(await queue.insert(message("m2", "<m1@example.org>"))).toMatchObject({
      created: false,
      message: { id: "m1" },
    });
    await expect(queue.insert({ ...message("m3"), mailboxId: "bob" })).rejects.toSatisfy((e) =>
      isMailregError(e, "NOT_FOUND"),
    );
    expect(counts()).toEqual({ queued: 1, sending: 0, sent: 0, failed: 0 });
  });

  it("lets a deliverer whose claim expired end nothing, while the one holding it now can", async () => {
    const outbox = memoryOutbox({ mailboxes: [ann] });
    const { queue } = outbox;
    await queue.insert(message("m1"));
    expect(await queue.claimDue({ token: "a", now: T0, leaseMs: 1000, limit: 10 })).toHaveLength(1);
    expect(await queue.claimDue({ token: "b", now: at(999), leaseMs: 1000, limit: 10 })).toEqual([]);
    const [again] = await queue.claimDue({ token: "b", now: at(1000), leaseMs: 1000, limit: 10 });
    expect(again).toMatchObject({ id: "m1", status: "sending", attempts: 2 });
    const failure = { id: "m1", error: "refused", errorCode: "SMTP_PERMANENT" };
    expect(await queue.fail({ ...failure, token: "a" })).toBe(false);
    expect(await queue.retryLater({ ...failure, token: "b", nextAttemptAt: at(5000) })).toBe(true);
    expect(outbox.entries()[0]).toMatchObject({
      status: "queued",
      claimToken: null,
      nextAttemptAt: at(5000),
      lastError: "refused",
    });
  });

  it("marks a message sent once, whoever claimed it, and keeps where its Sent copy went", async () => {
    const outbox = memoryOutbox({ mailboxes: [ann] });
    await outbox.queue.insert(message("m1"));
    await outbox.queue.claimDue({ token: "a", now: T0, leaseMs: 1000, limit: 10 });
    const sent = { id: "m1", at: at(10), response: "250 ok" };
    expect(await outbox.queue.markSent([sent])).toBe(1);
    expect(await outbox.queue.markSent([sent])).toBe(0);
    await outbox.queue.recordSentCopy("m1", { error: "no Sent folder copy", errorCode: "MAIL_TLS_FAILED" });
    expect(outbox.entries()[0]).toMatchObject({
      status: "sent",
      sentAt: at(10),
      response: "250 ok",
      sentFolder: null,
      errorCode: "MAIL_TLS_FAILED",
    });
    expect(
      await outbox.queue.claimDue({ token: "b", now: at(86_400_000), leaseMs: 1000, limit: 10 }),
    ).toEqual([]);
  });
});
