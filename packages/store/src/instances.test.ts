import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listInstances, listServerTemplates, upsertInstances, upsertServerTemplates } from "./instances.ts";
import type { Store } from "./store.ts";
import { openMemoryStore } from "./testing.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
});
afterEach(() => store.close());

describe("mirroring the config", () => {
  it("upsertInstances() adds new instances and updates known ones by id", async () => {
    await upsertInstances(store, [
      { id: "sales", label: "Sales" },
      { id: "hr", label: "HR", settings: { schedule: { intervalSeconds: 300 } } },
    ]);
    await upsertInstances(store, [{ id: "sales", label: "Sales team", settings: { folders: "inbox" } }]);
    const list = await listInstances(store);
    expect(list.map((i) => [i.id, i.label, i.settings])).toEqual([
      ["hr", "HR", { schedule: { intervalSeconds: 300 } }],
      ["sales", "Sales team", { folders: "inbox" }],
    ]);
  });

  it("upsertServerTemplates() adds and updates templates by id", async () => {
    const corp = {
      id: "corp",
      label: "Corp",
      protocol: "imap",
      host: "imap.corp.example",
      port: 993,
      security: "tls",
    } as const;
    await upsertServerTemplates(store, [corp]);
    await upsertServerTemplates(store, [
      { ...corp, port: 143, security: "starttls", extras: { authMethods: ["password"] } },
    ]);
    expect(await listServerTemplates(store)).toMatchObject([
      { id: "corp", port: 143, security: "starttls", extras: { authMethods: ["password"] } },
    ]);
  });
});
