import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import { getGrantState, listGrantStates, setGrantState } from "./oauth-grants.ts";
import { insertRegistration } from "./registrations.ts";
import type { Store } from "./store.ts";
import { makeProfile, makeRegistration, openMemoryStore } from "./testing.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
  await upsertInstances(store, [{ id: "sales", label: "Sales" }]);
});
afterEach(() => store.close());

/** Applies a new registration of `address` (a new grant when oauth2) and returns the mailbox's id. */
async function apply(address: string, authMethod: "oauth2" | "password" = "oauth2"): Promise<string> {
  const record = await insertRegistration(store, makeRegistration({ address, authMethod }));
  const { mailbox } = await applyRegistration(store, {
    id: record.id,
    instanceId: "sales",
    actor: "admin",
    profile: makeProfile(record),
    // a second apply of the address replaces the mailbox's grant: confirmed, as the admin must
    replace: true,
  });
  return mailbox.id;
}

describe("OAuth grant states", () => {
  it("an OAuth mailbox nobody reported on reads as granted; password mailboxes are not listed", async () => {
    const id = await apply("ann@example.com");
    await apply("bob@example.com", "password");
    expect(await listGrantStates(store)).toEqual([
      { mailboxId: id, state: "granted", detail: null, since: null },
    ]);
  });

  it("setGrantState() records 'must grant again' with its reason and time, and 'granted' again later", async () => {
    const id = await apply("ann@example.com");
    const at = new Date("2026-11-25T10:00:00.000Z");
    await setGrantState(store, id, "must-grant-again", "Token has been expired or revoked.", at);
    expect(await getGrantState(store, id)).toEqual({
      mailboxId: id,
      state: "must-grant-again",
      detail: "Token has been expired or revoked.",
      since: at.toISOString(),
    });
    expect((await listGrantStates(store))[0]?.state).toBe("must-grant-again");
    await setGrantState(store, id, "granted");
    expect((await getGrantState(store, id)).state).toBe("granted");
  });

  it("a new registration applied to the mailbox (a new grant) ends 'must grant again'", async () => {
    const id = await apply("ann@example.com");
    await setGrantState(store, id, "must-grant-again", "revoked");
    expect(await apply("ann@example.com")).toBe(id);
    expect(await getGrantState(store, id)).toEqual({
      mailboxId: id,
      state: "granted",
      detail: null,
      since: null,
    });
  });

  it("refuses an unknown mailbox or state and keeps long reasons short", async () => {
    await expect(
      setGrantState(store, "0193a000-0000-7000-8000-000000000000", "granted"),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const id = await apply("ann@example.com");
    await expect(setGrantState(store, id, "expired" as "granted")).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await setGrantState(store, id, "must-grant-again", "x".repeat(2000));
    expect((await getGrantState(store, id)).detail).toHaveLength(500);
  });
});
