import { sampleConfig } from "@mailreg/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mirrorConfig } from "./config-mirror.ts";
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

  it("copies the config's instances with their settings and its templates with their extras; a later start updates them", async () => {
    const config = sampleConfig({
      instances: [
        { id: "main", label: "Main", schedule: { intervalSeconds: 900 } },
        { id: "archive", label: "Archive" },
      ],
    });
    await mirrorConfig(store, config);
    const [archive, main] = await listInstances(store);
    expect(main).toMatchObject({
      id: "main",
      label: "Main",
      settings: { schedule: { intervalSeconds: 900 } },
    });
    expect(archive).toMatchObject({ id: "archive", label: "Archive" });
    expect(await listServerTemplates(store)).toMatchObject([
      {
        id: "example-imap",
        protocol: "imap",
        host: "imap.example.com",
        port: 993,
        security: "tls",
        extras: { smtp: { host: "smtp.example.com", port: 587 }, tls: { verify: true } },
      },
    ]);

    await mirrorConfig(store, sampleConfig({ instances: [{ id: "main", label: "Main office" }] }));
    expect((await listInstances(store)).map((i) => [i.id, i.label])).toEqual([
      ["archive", "Archive"],
      ["main", "Main office"],
    ]);
  });
});
