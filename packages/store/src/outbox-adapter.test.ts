import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import type { Mailbox } from "./mailboxes.ts";
import { getOutboxMessage } from "./outbox.ts";
import { storeMailboxDirectory, storeOutbox } from "./outbox-adapter.ts";
import { insertRegistration } from "./registrations.ts";
import type { Store } from "./store.ts";
import { makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";

const T0 = new Date("2026-11-25T12:00:00.000Z");
let store: Store;

async function apply(address: string, instanceId: string): Promise<Mailbox> {
  const record = await insertRegistration(store, makeRegistration({ address, login: address }));
  const { mailbox } = await applyRegistration(store, {
    id: record.id,
    instanceId,
    actor: "t",
    profile: makeProfile(record),
  });
  return mailbox;
}

beforeEach(async () => {
  store = await openMemoryStore();
  await upsertInstances(store, [
    { id: "sales", label: "Sales" },
    { id: "support", label: "Support" },
  ]);
});
afterEach(() => store.close());

describe("storeMailboxDirectory()", () => {
  it("finds the mailboxes of an address in every instance, or in the one named", async () => {
    const sales = await apply("ann@example.org", "sales");
    const support = await apply("ann@example.org", "support");
    await apply("bob@example.org", "sales");
    const directory = storeMailboxDirectory(store);
    expect((await directory.findByAddress("ann@example.org")).map((m) => m.id)).toEqual([
      sales.id,
      support.id,
    ]);
    expect(await directory.findByAddress("ann@example.org", { instanceId: "support" })).toEqual([support]);
    expect(await directory.findByAddress("carl@example.org")).toEqual([]);
    expect(await directory.get(sales.id)).toEqual(sales);
    await expect(directory.get("0193a4f2-7c1e-7000-8000-000000000001")).rejects.toSatisfy((e) =>
      isMailregError(e, "NOT_FOUND"),
    );
  });
});

describe("storeOutbox()", () => {
  it("keeps a message through insert, claim, sent and its Sent copy in the outbox tables", async () => {
    const mailbox = await apply("ann@example.org", "sales");
    const { queue } = storeOutbox(store);
    const raw = new TextEncoder().encode("Message-ID: <a@example.org>\r\n\r\nx\r\n");
    const input = {
      id: "0193a4f2-7c1e-7000-8000-0000000000aa",
      mailboxId: mailbox.id,
      messageId: "<a@example.org>",
      raw,
      envelope: { from: "ann@example.org", to: ["bob@example.org"] },
      at: T0,
    };
    expect((await queue.insert(input)).created).toBe(true);
    expect((await queue.insert({ ...input, id: "0193a4f2-7c1e-7000-8000-0000000000ab" })).created).toBe(
      false,
    );
    const [claimed] = await queue.claimDue({ token: "t1", now: T0, leaseMs: 60_000, limit: 10 });
    expect(claimed).toMatchObject({ id: input.id, status: "sending", attempts: 1 });
    expect(new TextDecoder().decode((await queue.readRaw([input.id])).get(input.id))).toBe(
      "Message-ID: <a@example.org>\r\n\r\nx\r\n",
    );
    // a claim that is not held any more cannot end it
    expect(await queue.fail({ id: input.id, token: "t0", error: "x", errorCode: "INTERNAL" })).toBe(false);
    expect(await queue.markSent([{ id: input.id, at: T0, response: "250 ok" }])).toBe(1);
    await queue.recordSentCopy(input.id, { folder: "Sent" });
    expect(await getOutboxMessage(store, input.id)).toMatchObject({
      status: "sent",
      response: "250 ok",
      sentFolder: "Sent",
      claimToken: null,
    });
  });
});
