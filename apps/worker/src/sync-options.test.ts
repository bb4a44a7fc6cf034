import { sampleConfig } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { syncOptionsFor } from "./sync-options.ts";

const config = (worker: Record<string, unknown> = {}, instance: Record<string, unknown> = {}) =>
  sampleConfig({
    servers: [
      {
        id: "corp",
        label: "Corp",
        protocol: "imap",
        host: "imap.corp.example",
        port: 993,
        tls: { verify: false },
        sentFolder: "Gesendete Objekte",
        trashFolder: "Gelöschte Objekte",
      },
      {
        id: "alt",
        label: "Alt",
        protocol: "imap",
        host: "10.0.0.5",
        port: 993,
        tls: { servername: "mail.corp.example" },
      },
    ],
    registration: { enabled: true, templates: ["corp"] },
    instances: [
      { id: "main", label: "Main", folderPolicy: { mode: "all", exclude: ["\\Junk"] }, ...instance },
    ],
    worker,
  });

describe("syncOptionsFor", () => {
  it("takes the template's certificate policy and Sent/Trash names, and the instance's folder policy", () => {
    const options = syncOptionsFor(config(), { template: "corp", instanceId: "main" }, { ca: "PEM" });
    expect(options).toEqual({
      connect: { tls: { rejectUnauthorized: false, ca: "PEM" }, policy: expect.anything() },
      specialUse: { "\\Sent": "Gesendete Objekte", "\\Trash": "Gelöschte Objekte" },
      folderPolicy: { mode: "all", folders: [], includeSubfolders: true, exclude: ["\\Junk"] },
      alwaysDeleteAfterFetch: false,
    });
  });

  it("checks an alternative certificate name, and verifies a typed-in server's certificate", () => {
    expect(syncOptionsFor(config(), { template: "alt", instanceId: "main" }).connect).toEqual({
      tls: { rejectUnauthorized: true, servername: "mail.corp.example" },
      policy: expect.anything(),
    });
    const typedIn = syncOptionsFor(config(), { template: null, instanceId: "gone" }, { timeoutMs: 3000 });
    expect(typedIn).toEqual({
      connect: { tls: { rejectUnauthorized: true }, timeoutMs: 3000, policy: expect.anything() },
      specialUse: {},
      alwaysDeleteAfterFetch: false,
    });
  });

  it("connects under the config's network policy: templates trusted, typed-in servers on allowed ports and public addresses only", () => {
    const policy = syncOptionsFor(config(), { template: null, instanceId: "main" }).connect?.policy;
    expect(policy?.allowPrivate).toBe(false);
    expect(policy?.trusted).toEqual(
      expect.arrayContaining([
        { host: "imap.corp.example", port: 993 },
        { host: "10.0.0.5", port: 993 },
      ]),
    );
    expect(policy?.ports).toEqual(expect.arrayContaining([143, 993, 110, 995]));
  });

  it("the worker-wide override or the instance forces delete after fetch", () => {
    const mailbox = { template: "corp", instanceId: "main" };
    expect(syncOptionsFor(config({ alwaysDeleteAfterFetch: true }), mailbox).alwaysDeleteAfterFetch).toBe(
      true,
    );
    expect(syncOptionsFor(config({}, { deleteAfterFetch: true }), mailbox).alwaysDeleteAfterFetch).toBe(true);
  });

  it("collects a mailbox with its instance's routing rules: the instance-wide ones and its own, not another mailbox's", () => {
    const routed = sampleConfig({
      sinks: {
        crm: { kind: "maildir", root: "/srv/crm" },
        archive: { kind: "maildir", root: "/srv/archive" },
      },
      instances: [
        {
          id: "main",
          label: "Main",
          routing: {
            rules: [
              { match: { mailbox: "orders@example.org" }, sinks: ["crm"] },
              { match: { mailbox: "@support.example.org" }, action: "drop" },
              { match: { hasAttachment: true }, sinks: ["archive"] },
            ],
            default: [],
          },
        },
      ],
    });
    const of = (address: string) =>
      syncOptionsFor(routed, { template: null, instanceId: "main", address }).routing;
    expect(of("orders@example.org")).toEqual({
      rules: [
        { match: {}, sinks: ["crm"] },
        { match: { hasAttachment: true }, sinks: ["archive"] },
      ],
      default: [],
    });
    expect(of("info@example.org")?.rules).toEqual([{ match: { hasAttachment: true }, sinks: ["archive"] }]);
    expect(syncOptionsFor(config(), { template: null, instanceId: "main" }).routing).toBeUndefined();
  });
});
