import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listRecentAudit, mailboxSyncStates, searchRegistrations } from "./admin-queries.ts";
import { appendAudit } from "./audit.ts";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { insertRegistration } from "./registrations.ts";
import { messages, syncRuns } from "./schema.ts";
import { initSetting } from "./setting-once.ts";
import type { Store } from "./store.ts";
import { makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";
import { writeTransaction } from "./write-lock.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
});
afterEach(() => store.close());

describe("searchRegistrations()", () => {
  it("finds by address, display name or login, newest first, by status and cursor", async () => {
    const ann = await insertRegistration(store, makeRegistration({ address: "ann@example.com" }));
    const bob = await insertRegistration(
      store,
      makeRegistration({ address: "bob@example.org", displayName: "Bob Annandale" }),
    );
    const cat = await insertRegistration(
      store,
      makeRegistration({ address: "cat@example.net", login: "ANNA", status: "rejected" }),
    );
    const ids = async (o: Parameters<typeof searchRegistrations>[1]) =>
      (await searchRegistrations(store, o)).map((r) => r.id);
    expect(await ids({})).toEqual([cat.id, bob.id, ann.id]);
    expect(await ids({ query: "Ann" })).toEqual([cat.id, bob.id, ann.id]);
    expect(await ids({ query: "example.org" })).toEqual([bob.id]);
    expect(await ids({ query: "ann", status: "pending" })).toEqual([bob.id, ann.id]);
    expect(await ids({ query: "ann", status: "pending", limit: 1 })).toEqual([bob.id]);
    expect(await ids({ query: "ann", before: bob.id })).toEqual([ann.id]);
    expect(await ids({ query: "%" })).toEqual([]);
  });
});

describe("mailboxSyncStates()", () => {
  it("reports the latest run, the latest failure and the messages stored", async () => {
    await upsertInstances(store, [{ id: "main", label: "Main" }]);
    const record = await insertRegistration(store, makeRegistration());
    const { mailbox } = await applyRegistration(store, {
      id: record.id,
      instanceId: "main",
      actor: "admin",
      profile: makeProfile(record),
    });
    const run = (n: number, status: "ok" | "failed") => ({
      id: `run-${n}`,
      mailboxId: mailbox.id,
      startedAt: `2026-11-25T10:0${n}:00.000Z`,
      finishedAt: `2026-11-25T10:0${n}:30.000Z`,
      status,
      fetched: n,
      ...(status === "failed" ? { errorCode: "MAIL_AUTH_FAILED", errorMessage: "refused" } : {}),
    });
    await writeTransaction(store, async (tx) => {
      await tx
        .insert(syncRuns)
        .values([run(1, "failed"), run(2, "ok")])
        .run();
      await tx
        .insert(messages)
        .values(
          [1, 2].map((uid) => ({
            id: `m-${uid}`,
            mailboxId: mailbox.id,
            folder: "INBOX",
            uidvalidity: 1,
            uid,
            contentHash: "00",
            size: 1,
            raw: new Uint8Array([1]),
            storedAt: "2026-11-25T10:02:00.000Z",
          })),
        )
        .run();
    });
    const states = await mailboxSyncStates(store, [mailbox.id, "never-collected"]);
    expect(states.get(mailbox.id)).toMatchObject({
      lastRun: { id: "run-2", status: "ok" },
      lastError: { id: "run-1", errorCode: "MAIL_AUTH_FAILED" },
      messages: 2,
    });
    expect(states.get("never-collected")).toEqual({ messages: 0 });
  });
});

describe("listRecentAudit()", () => {
  it("lists newest first and pages with before", async () => {
    for (const subjectId of ["a", "b", "c"]) {
      await appendAudit(store, { actor: "admin", action: "x.test", subjectType: "thing", subjectId });
    }
    const page = await listRecentAudit(store, { limit: 2 });
    expect(page.map((e) => e.subjectId)).toEqual(["c", "b"]);
    const next = await listRecentAudit(store, { before: page[1]!.id });
    expect(next.map((e) => e.subjectId)).toEqual(["a"]);
  });
});

describe("initSetting()", () => {
  it("keeps the first value stored, also when callers race", async () => {
    const values = await Promise.all(["a", "b", "c"].map((v) => initSetting(store, "k", v)));
    expect(new Set(values).size).toBe(1);
    expect(await initSetting(store, "k", "later")).toBe(values[0]);
  });
});
