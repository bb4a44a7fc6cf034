import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAudit } from "./audit.ts";
import { applyRegistration, rejectRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { getMailbox, listMailboxes } from "./mailboxes.ts";
import { getRegistration, insertRegistration } from "./registrations.ts";
import { openStore, type Store } from "./store.ts";
import { makeProfile, makeRegistration } from "./testing.ts";

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-decisions-"));
  store = await openStore({ url: `file:${dir}/d.db` });
  await upsertInstances(store, [
    { id: "sales", label: "Sales" },
    { id: "support", label: "Support" },
  ]);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Everything a failed decision must leave unchanged. */
async function snapshot() {
  const tables = ["registrations", "mailboxes", "audit_log"];
  return await Promise.all(
    tables.map(async (t) => (await store.client.execute(`select * from ${t} order by 1`)).rows),
  );
}

describe("applyRegistration()", () => {
  it("makes a mailbox that keeps the registration's sealed credentials, marks it applied and audits it", async () => {
    const record = await insertRegistration(
      store,
      makeRegistration({ address: "ann@example.com", displayName: "Ann" }),
    );
    const now = new Date("2026-11-25T12:00:00.000Z");
    const { mailbox, created } = await applyRegistration(store, {
      id: record.id,
      instanceId: "sales",
      actor: "admin",
      now,
      profile: makeProfile(record),
    });
    expect(created).toBe(true);
    expect(mailbox).toMatchObject({
      instanceId: "sales",
      address: "ann@example.com",
      displayName: "Ann",
      host: record.host,
      login: record.login,
      keyId: record.keyId,
      sealed: record.sealed,
      registrationId: record.id,
      credentialsUpdatedAt: now.toISOString(),
      autoFetch: true,
      deleteAfterFetch: false,
    });
    expect(await getRegistration(store, record.id)).toMatchObject({
      status: "applied",
      decision: { by: "admin", at: now.toISOString(), instance: "sales" },
    });
    const audit = await listAudit(store);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "admin",
      action: "registration.apply",
      subjectId: record.id,
      details: { registrationId: record.id, mailboxId: mailbox.id, instance: "sales", created: true },
    });
  });

  it("a second registration of the same address into the same instance is refused with the differences, then replaces the one mailbox's server and credentials when confirmed", async () => {
    const first = await insertRegistration(
      store,
      makeRegistration({ address: "bob@example.com", sealed: "sealed-first", keyId: "k1" }),
    );
    const second = await insertRegistration(
      store,
      makeRegistration({
        address: "bob@example.com",
        sealed: "sealed-second",
        keyId: "k2",
        host: "imap2.example.com",
      }),
    );
    const a = await applyRegistration(store, {
      id: first.id,
      instanceId: "sales",
      actor: "admin",
      profile: makeProfile(first),
    });
    const silent = await applyRegistration(store, {
      id: second.id,
      instanceId: "sales",
      actor: "admin",
      profile: makeProfile(second),
    }).catch((e: unknown) => e);
    expect(silent).toMatchObject({
      code: "CONFLICT",
      details: {
        mailboxId: a.mailbox.id,
        changes: [{ field: "host", from: "imap.example.com", to: "imap2.example.com" }, { field: "secret" }],
      },
    });
    expect((await listMailboxes(store))[0]).toMatchObject({
      sealed: "sealed-first",
      registrationId: first.id,
    });
    expect((await getRegistration(store, second.id)).status).toBe("pending");
    const b = await applyRegistration(store, {
      id: second.id,
      instanceId: "sales",
      actor: "admin",
      profile: makeProfile(second),
      replace: true,
    });
    expect(b.created).toBe(false);
    expect(b.mailbox.id).toBe(a.mailbox.id);
    const all = await listMailboxes(store);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      sealed: "sealed-second",
      keyId: "k2",
      host: "imap2.example.com",
      registrationId: second.id,
      createdAt: a.mailbox.createdAt,
    });
    const audit = await listAudit(store);
    expect(audit.map((e) => [e.action, e.details.created, e.details.replaced])).toEqual([
      ["registration.apply", true, undefined],
      ["registration.apply", false, true],
    ]);
    expect(audit[1]?.details.changes).toEqual([
      { field: "host", from: "imap.example.com", to: "imap2.example.com" },
      { field: "secret" },
    ]);
  });

  it("the same address applied into another instance makes a second mailbox", async () => {
    const first = await insertRegistration(store, makeRegistration({ address: "cy@example.com" }));
    const second = await insertRegistration(store, makeRegistration({ address: "cy@example.com" }));
    await applyRegistration(store, {
      id: first.id,
      instanceId: "sales",
      actor: "admin",
      profile: makeProfile(first),
    });
    const other = await applyRegistration(store, {
      id: second.id,
      instanceId: "support",
      actor: "admin",
      profile: makeProfile(second),
    });
    expect(other.created).toBe(true);
    expect((await listMailboxes(store)).map((m) => m.instanceId)).toEqual(["sales", "support"]);
    expect(await listMailboxes(store, { instanceId: "support" })).toHaveLength(1);
  });

  it("refuses a registration that is no longer pending with REGISTRATION_NOT_PENDING and changes nothing", async () => {
    const record = await insertRegistration(store, makeRegistration());
    await applyRegistration(store, {
      id: record.id,
      instanceId: "sales",
      actor: "admin",
      profile: makeProfile(record),
    });
    const rejected = await insertRegistration(store, makeRegistration());
    await rejectRegistration(store, { id: rejected.id, actor: "admin" });
    const before = await snapshot();
    for (const id of [record.id, rejected.id]) {
      const error = await caught(
        applyRegistration(store, { id, instanceId: "support", actor: "admin", profile: makeProfile(record) }),
      );
      expect(isMailregError(error, "REGISTRATION_NOT_PENDING")).toBe(true);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an unknown instance with INSTANCE_UNKNOWN and changes nothing", async () => {
    const record = await insertRegistration(store, makeRegistration());
    const before = await snapshot();
    const error = await caught(
      applyRegistration(store, {
        id: record.id,
        instanceId: "nope",
        actor: "admin",
        profile: makeProfile(record),
      }),
    );
    expect(isMailregError(error, "INSTANCE_UNKNOWN")).toBe(true);
    expect(await snapshot()).toEqual(before);
    expect((await getRegistration(store, record.id)).status).toBe("pending");
  });

  it("refuses a profile whose fields differ from the registration with PROFILE_MISMATCH and changes nothing", async () => {
    const record = await insertRegistration(store, makeRegistration());
    const before = await snapshot();
    const error = await caught(
      applyRegistration(store, {
        id: record.id,
        instanceId: "sales",
        actor: "admin",
        profile: makeProfile(record, { host: "evil.example.net" }),
      }),
    );
    expect(isMailregError(error, "PROFILE_MISMATCH")).toBe(true);
    expect((error as { details: { fields: string[] } }).details.fields).toEqual(["host"]);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an unknown registration with NOT_FOUND", async () => {
    const record = makeRegistration();
    const error = await caught(
      applyRegistration(store, {
        id: record.id,
        instanceId: "sales",
        actor: "admin",
        profile: makeProfile(record),
      }),
    );
    expect(isMailregError(error, "NOT_FOUND")).toBe(true);
  });

  it("keeps the password of the opened profile out of the store", async () => {
    const record = await insertRegistration(store, makeRegistration());
    const profile = makeProfile(record, { auth: { method: "password", password: "correct-horse-battery" } });
    const { mailbox } = await applyRegistration(store, {
      id: record.id,
      instanceId: "sales",
      actor: "admin",
      profile,
    });
    const dump = JSON.stringify([await snapshot(), await getMailbox(store, mailbox.id)]);
    expect(dump).not.toContain("correct-horse-battery");
  });
});

describe("rejectRegistration()", () => {
  it("marks the registration rejected with who, when and why, and audits it", async () => {
    const record = await insertRegistration(store, makeRegistration());
    const now = new Date("2026-11-25T13:00:00.000Z");
    const out = await rejectRegistration(store, { id: record.id, actor: "admin", reason: "not ours", now });
    expect(out.status).toBe("rejected");
    expect(out.decision).toEqual({ by: "admin", at: now.toISOString(), reason: "not ours" });
    expect(await getRegistration(store, record.id)).toEqual(out);
    const audit = await listAudit(store, { subjectId: record.id });
    expect(audit.map((e) => [e.action, e.details])).toEqual([
      ["registration.reject", { registrationId: record.id, reason: "not ours" }],
    ]);
    expect(await listMailboxes(store)).toEqual([]);
  });

  it("refuses to reject twice with REGISTRATION_NOT_PENDING", async () => {
    const record = await insertRegistration(store, makeRegistration());
    await rejectRegistration(store, { id: record.id, actor: "admin" });
    const error = await caught(rejectRegistration(store, { id: record.id, actor: "other" }));
    expect(isMailregError(error, "REGISTRATION_NOT_PENDING")).toBe(true);
    expect((await getRegistration(store, record.id)).decision?.by).toBe("admin");
  });
});
