import { validateConfig } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { sinksFromConfig } from "./configured-sinks.ts";
import { defineSink } from "./connector.ts";
import { SINKS } from "./sinks.ts";

const connectors = { sources: new Map(), sinks: SINKS, providers: new Map() };
const hook = { kind: "webhook", url: "https://crm.example.org/hook", secretEnv: "CRM_HOOK_SECRET" } as const;

function issuesOf(value: unknown) {
  try {
    validateConfig(value, connectors);
  } catch (error) {
    return (error as { details: { issues: { path: string; message: string }[] } }).details.issues;
  }
  throw new Error("expected the config to be invalid");
}

describe("the config's sinks, checked by the sink registry", () => {
  it("refuses a webhook secret in the file (only an environment variable name), without echoing it", () => {
    const issues = issuesOf({ sinks: { crm: { kind: "webhook", url: hook.url, secret: "hunter22" } } });
    expect(issues.map((i) => i.path).sort()).toEqual(["sinks.crm.secret", "sinks.crm.secretEnv"]);
    expect(JSON.stringify(issues)).not.toContain("hunter22");
    expect(issuesOf({ sinks: { crm: { ...hook, secretEnv: "not a name" } } })[0]?.path).toBe(
      "sinks.crm.secretEnv",
    );
  });

  it("refuses a non-http webhook URL, a Maildir without root and an unknown kind, each at its path", () => {
    expect(
      issuesOf({
        sinks: { crm: { ...hook, url: "ftp://x.example" }, archive: { kind: "maildir" }, x: { kind: "ftp" } },
      }),
    ).toEqual([
      { path: "sinks.crm.url", message: "must be an http(s) URL" },
      { path: "sinks.archive.root", message: expect.stringContaining("expected string") },
      { path: "sinks.x.kind", message: `unknown sink kind "ftp" (known: ${[...SINKS.keys()].join(", ")})` },
    ]);
  });
});

describe("sinksFromConfig()", () => {
  it("builds each sink by its kind's connector, named by its config id", () => {
    const sinks = sinksFromConfig(
      { archive: { kind: "maildir", root: "/tmp/export" }, crm: hook },
      { CRM_HOOK_SECRET: "s3cret" },
    );
    expect(sinks.map((s) => [s.id, s.kind])).toEqual([
      ["archive", "maildir"],
      ["crm", "webhook"],
    ]);
  });

  it("reports every sink that cannot be built by its config path, never a secret", () => {
    let error: unknown;
    try {
      sinksFromConfig(
        { crm: hook, other: { ...hook, secretEnv: "OTHER" }, bad: { kind: "nope" } },
        {
          OTHER: "",
          UNRELATED: "hunter22",
        },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect((error as { details: { issues: unknown } }).details.issues).toEqual([
      {
        path: "sinks.crm.secretEnv",
        message: "the environment variable CRM_HOOK_SECRET (the webhook's HMAC secret) is not set",
      },
      {
        path: "sinks.other.secretEnv",
        message: "the environment variable OTHER (the webhook's HMAC secret) is not set",
      },
      { path: "sinks.bad.kind", message: expect.stringContaining('unknown sink kind "nope"') },
    ]);
    expect(JSON.stringify(error)).not.toContain("hunter22");
  });

  it("takes a registry of the caller's own: a sink kind is one defineSink and one Map entry", async () => {
    const lines: string[] = [];
    const logSink = defineSink({
      kind: "log",
      label: "Log",
      options: z.strictObject({ prefix: z.string().min(1) }),
      create: (options, context) => ({
        kind: "log",
        async store(message) {
          lines.push(`${context.id} ${options.prefix} ${message.envelope.subject ?? ""}`);
          return undefined;
        },
      }),
    });
    const registry = new Map([["log", logSink]]);
    const config = validateConfig(
      { sinks: { audit: { kind: "log", prefix: "new:" } } },
      { sources: new Map(), sinks: registry, providers: new Map() },
    );
    const [sink] = sinksFromConfig(config.sinks, {}, registry);
    expect(sink?.id).toBe("audit");
    const envelope = { subject: "Hello", from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [] };
    const message = { id: "m1", raw: new Uint8Array(), size: 0, flags: [], envelope, delimiter: "/" };
    await sink?.store(message, { mailboxId: "mb", folder: "INBOX", uidValidity: 1, uid: 1 }, "h");
    expect(lines).toEqual(["audit new: Hello"]);
    expect(() => sinksFromConfig({ audit: { kind: "log", prefix: "" } }, {}, registry)).toThrow(
      expect.objectContaining({
        details: { issues: [{ path: "sinks.audit.prefix", message: expect.any(String) }] },
      }),
    );
  });
});
