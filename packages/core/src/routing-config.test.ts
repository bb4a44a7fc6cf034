import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "./config-loader.ts";
import { checkConfig, validateConfig } from "./config-schema.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { MailregError } from "./errors.ts";

function issuesOf(value: unknown, connectors?: ConnectorRegistries) {
  const result = checkConfig(value, connectors);
  if (result.ok) throw new Error("expected the config to be invalid");
  return result.issues;
}

const sinks = {
  archive: { kind: "maildir", root: "/var/mail-export" },
  crm: { kind: "webhook", url: "https://crm.example.org/hook", secretEnv: "CRM_HOOK_SECRET" },
} as const;

describe("sinks, routing and retention in the config", () => {
  it("no sinks, routing or retention by default", () => {
    const c = validateConfig({ instances: [{ id: "main", label: "Main" }] });
    expect(c.sinks).toEqual({});
    expect(c.instances[0]!.routing).toBeUndefined();
    expect(c.instances[0]!.retention).toBeUndefined();
  });

  it("takes named sinks, ordered rules with every match field, a drop rule and a default", () => {
    const c = validateConfig({
      sinks,
      instances: [
        {
          id: "main",
          label: "Main",
          routing: {
            rules: [
              { match: { from: "@spam.example" }, action: "drop" },
              {
                match: {
                  folder: "INBOX/Orders/*",
                  to: "orders@example.org",
                  subject: "invoice",
                  header: { name: "X-Priority", value: "1" },
                  minSize: 10,
                  maxSize: 1_000_000,
                  hasAttachment: true,
                },
                sinks: ["crm", "archive"],
              },
            ],
            default: ["archive"],
          },
          retention: { rawDays: 30, deleteDays: 365 },
        },
      ],
    });
    expect(c.sinks.crm).toEqual(sinks.crm);
    expect(c.instances[0]!.routing?.rules).toHaveLength(2);
    expect(c.instances[0]!.routing?.rules[0]).toEqual({ match: { from: "@spam.example" }, action: "drop" });
    expect(c.instances[0]!.retention).toEqual({ rawDays: 30, deleteDays: 365 });
  });

  it("reports a rule or default naming a sink that sinks lacks, by path", () => {
    const issues = issuesOf({
      sinks,
      instances: [
        {
          id: "main",
          label: "Main",
          routing: { rules: [{ match: {}, sinks: ["archive", "crn"] }], default: ["nowhere"] },
        },
      ],
    });
    expect(issues).toEqual([
      { path: "instances[0].routing.default[0]", message: 'no sink "nowhere" in sinks' },
      { path: "instances[0].routing.rules[0].sinks[1]", message: 'no sink "crn" in sinks' },
    ]);
  });

  it("checks a sink's options against its registered kind (the webhook's own checks are in imap-sync)", () => {
    const registry: ConnectorRegistries = {
      sources: new Map(),
      sinks: new Map([
        [
          "maildir",
          { kind: "maildir", label: "Maildir", options: z.strictObject({ root: z.string().min(1) }) },
        ],
      ]),
      providers: new Map(),
    };
    expect(issuesOf({ sinks: { x: { kind: "ftp", root: "/" } } }, registry)).toEqual([
      { path: "sinks.x.kind", message: 'unknown sink kind "ftp" (known: maildir)' },
    ]);
    expect(issuesOf({ sinks: { x: { kind: "maildir", rot: "/" } } }, registry).map((i) => i.path)).toEqual([
      "sinks.x.root",
      "sinks.x.rot",
    ]);
    expect(issuesOf({ sinks: { "Bad Id": sinks.archive } })[0]?.path).toBe('sinks["Bad Id"]');
    expect(issuesOf({ sinks: { x: { root: "/" } } })[0]?.path).toBe("sinks.x.kind");
  });

  it("refuses a rule with both sinks and drop, or neither, and an unknown match field", () => {
    const rule = (r: unknown) => ({
      sinks,
      instances: [{ id: "main", label: "Main", routing: { rules: [r] } }],
    });
    expect(checkConfig(rule({ match: {}, sinks: ["crm"], action: "drop" })).ok).toBe(false);
    expect(checkConfig(rule({ match: {} })).ok).toBe(false);
    expect(checkConfig(rule({ match: { sender: "a@b.example" }, action: "drop" })).ok).toBe(false);
  });

  it("refuses maxSize under minSize and deleteDays under rawDays, at their paths", () => {
    const issues = issuesOf({
      instances: [
        {
          id: "main",
          label: "Main",
          routing: { rules: [{ match: { minSize: 100, maxSize: 10 }, action: "drop" }] },
          retention: { rawDays: 30, deleteDays: 7 },
        },
      ],
    });
    expect(issues.map((i) => i.path)).toContain("instances[0].retention.deleteDays");
    expect(issues.map((i) => i.message)).toContain("must not be less than rawDays");
    expect(checkConfig({ instances: [{ id: "m", label: "M", retention: { rawDays: 0 } }] }).ok).toBe(false);
  });

  it("the config loader refuses a file whose rule names an unknown sink, saying where, and loads nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailreg-routing-"));
    try {
      const path = join(dir, "mailreg.config.json");
      await writeFile(
        path,
        JSON.stringify({
          sinks,
          instances: [
            { id: "main", label: "Main" },
            {
              id: "sales",
              label: "Sales",
              routing: { rules: [{ match: { mailbox: "orders@example.org" }, sinks: ["crm", "erp"] }] },
            },
          ],
        }),
      );
      const error = await loadConfig({ path, env: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MailregError);
      expect((error as MailregError).code).toBe("CONFIG_INVALID");
      expect((error as MailregError).message).toContain(
        'instances[1].routing.rules[0].sinks[1]: no sink "erp" in sinks',
      );
      expect((error as MailregError).details?.issues).toEqual([
        { path: "instances[1].routing.rules[0].sinks[1]", message: 'no sink "erp" in sinks' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes a mailbox-level rule: a match naming the collected mailbox's address or domain", () => {
    const c = validateConfig({
      sinks,
      instances: [
        {
          id: "main",
          label: "Main",
          routing: {
            rules: [{ match: { mailbox: "@sales.example.org", subject: "order" }, sinks: ["crm"] }],
          },
        },
      ],
    });
    expect(c.instances[0]!.routing?.rules[0]?.match.mailbox).toBe("@sales.example.org");
  });
});
