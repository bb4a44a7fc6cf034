import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { getMailbox } from "./mailboxes.ts";
import { getRegistration, insertRegistration } from "./registrations.ts";
import { iterateSealed, replaceSealed, type SealedEntry } from "./sealed.ts";
import type { Store } from "./store.ts";
import { makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
  await upsertInstances(store, [{ id: "main", label: "Main" }]);
});
afterEach(() => store.close());

async function all(): Promise<SealedEntry[]> {
  const out: SealedEntry[] = [];
  for await (const entry of iterateSealed(store, { batchSize: 2 })) out.push(entry);
  return out;
}

describe("iterateSealed()", () => {
  it("yields every sealed value with the registration id it is bound to, mailboxes included", async () => {
    const records = [];
    for (let i = 0; i < 3; i++) records.push(await insertRegistration(store, makeRegistration()));
    const applied = records[1]!;
    const { mailbox } = await applyRegistration(store, {
      id: applied.id,
      instanceId: "main",
      actor: "admin",
      profile: makeProfile(applied),
    });
    expect(await all()).toEqual([
      ...records.map((r) => ({
        table: "registrations",
        id: r.id,
        keyId: r.keyId,
        sealed: r.sealed,
        bindingId: r.id,
        address: r.address,
      })),
      {
        table: "mailboxes",
        id: mailbox.id,
        keyId: applied.keyId,
        sealed: applied.sealed,
        bindingId: applied.id,
        address: applied.address,
      },
    ]);
  });
});

describe("replaceSealed()", () => {
  it("replaces a value that is still the one read, in registrations and mailboxes", async () => {
    const record = await insertRegistration(store, makeRegistration());
    const { mailbox } = await applyRegistration(store, {
      id: record.id,
      instanceId: "main",
      actor: "a",
      profile: makeProfile(record),
    });
    const next = { keyId: "k-new", sealed: "resealed", previous: record.sealed };
    expect(await replaceSealed(store, "registrations", record.id, next)).toBe(true);
    expect(await replaceSealed(store, "mailboxes", mailbox.id, next)).toBe(true);
    expect(await getRegistration(store, record.id)).toMatchObject({ keyId: "k-new", sealed: "resealed" });
    expect(await getMailbox(store, mailbox.id)).toMatchObject({
      keyId: "k-new",
      sealed: "resealed",
      credentialsUpdatedAt: mailbox.credentialsUpdatedAt,
    });
  });

  it("leaves a value alone that changed since it was read (new credentials win over a re-seal of old ones)", async () => {
    const first = await insertRegistration(
      store,
      makeRegistration({ address: "ann@example.com", sealed: "old" }),
    );
    const { mailbox } = await applyRegistration(store, {
      id: first.id,
      instanceId: "main",
      actor: "a",
      profile: makeProfile(first),
    });
    const second = await insertRegistration(
      store,
      makeRegistration({ address: "ann@example.com", sealed: "new-credentials" }),
    );
    await applyRegistration(store, {
      id: second.id,
      instanceId: "main",
      actor: "a",
      profile: makeProfile(second),
      replace: true,
    });
    expect(
      await replaceSealed(store, "mailboxes", mailbox.id, {
        keyId: "k2",
        sealed: "old-resealed",
        previous: "old",
      }),
    ).toBe(false);
    expect((await getMailbox(store, mailbox.id)).sealed).toBe("new-credentials");
  });

  it("fails with NOT_FOUND for an unknown row", async () => {
    const error = await replaceSealed(store, "mailboxes", "nope", {
      keyId: "k",
      sealed: "s",
      previous: "p",
    }).catch((e: unknown) => e);
    expect(isMailregError(error, "NOT_FOUND")).toBe(true);
  });
});
