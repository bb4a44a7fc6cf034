import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SINKS } from "@mailreg/imap-sync";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-cli-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configWith(sections: Record<string, unknown>): Promise<void> {
  expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
  const file = join(dir, "mailreg.config.json");
  const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...config, ...sections }));
}

describe("mailreg config validate", () => {
  it("checks connector sections against the registries and lists each problem by its path (exit 1)", async () => {
    await configWith({
      servers: [{ id: "mail", label: "Mail", protocol: "imap4", host: "imap.example.com" }],
      sinks: {
        archive: { kind: "maildir", root: "" },
        crm: { kind: "webhook", url: "https://crm.example.org/hook", secret: "hunter22" },
      },
      oauth: {
        providers: { sso: { kind: "oidc", clientId: "c", redirectUri: "https://reg.example.org/cb" } },
      },
      instances: [{ id: "default", label: "Default", routing: { default: ["archive", "erp"] } }],
    });
    const run = await runCli(["config", "validate"], { cwd: dir });
    expect(run.code).toBe(1);
    for (const line of [
      'servers[0].protocol: unknown protocol "imap4" (known: imap, pop3)',
      "sinks.archive.root:",
      "sinks.crm.secret: unknown key",
      "sinks.crm.secretEnv:",
      "oauth.providers.sso.issuer: required: the issuer's URL",
      'instances[0].routing.default[1]: no sink "erp" in sinks',
    ]) {
      expect(run.stderr).toContain(line);
    }
    expect(run.stderr + run.stdout).not.toContain("hunter22");
  });

  it("takes a server template's port from its source when omitted", async () => {
    await configWith({
      servers: [{ id: "pop", label: "POP", protocol: "pop3", host: "pop.example.com", security: "starttls" }],
      sinks: { archive: { kind: "maildir", root: "./export" } },
    });
    const run = await runCli(["config", "validate", "--json"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ valid: true });
  });
});

describe("mailreg config schema", () => {
  it("mailreg init writes the schema with the registered connectors beside the config and points $schema at it", async () => {
    expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
    const config = JSON.parse(await readFile(join(dir, "mailreg.config.json"), "utf8")) as {
      $schema: string;
    };
    expect(config.$schema).toBe("./config.schema.json");
    const schema = await readFile(join(dir, config.$schema), "utf8");
    for (const kind of SINKS.keys()) expect(schema).toContain(`"const": "${kind}"`);
  });

  it("writes the JSON Schema with every registered sink kind and its options, for editors", async () => {
    const run = await runCli(["config", "schema", "--out", "config.schema.json"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const schema = await readFile(join(dir, "config.schema.json"), "utf8");
    for (const kind of SINKS.keys()) expect(schema).toContain(`"const": "${kind}"`);
    expect(schema).toContain('"secretEnv"');
    expect(schema).toContain('"issuer"');
  });
});
