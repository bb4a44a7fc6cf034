import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionProfile, newId, type RegistrationRecord, writeRegistrationFile } from "@mailreg/core";
import { loadPublicKey, seal } from "@mailreg/crypto-registry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-cli-smtp-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `mailreg init`, then the config gets a server template with an SMTP counterpart and the company/default levels. */
async function setUp(smtp: Record<string, unknown>, template: Record<string, unknown> = {}): Promise<void> {
  expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
  const file = join(dir, "mailreg.config.json");
  const config = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  config.servers = [
    { id: "example", label: "Example", protocol: "imap", host: "imap.example.com", ...template },
  ];
  config.smtp = smtp;
  await writeFile(file, JSON.stringify(config));
}

/** Imports and applies a registration of `address` on the "example" template into instance "default". */
async function applyMailbox(address: string): Promise<void> {
  const publicKey = await loadPublicKey(join(dir, "keys/registry.public.jwk"));
  const id = newId();
  const clear = {
    address,
    protocol: "imap",
    host: "imap.example.com",
    port: 993,
    security: "tls",
    login: address,
    template: "example",
  } as const;
  const profile: ConnectionProfile = {
    v: 1,
    ...clear,
    auth: { method: "password", password: "owner-secret" },
  };
  const record: RegistrationRecord = {
    id,
    receivedAt: new Date().toISOString(),
    ...clear,
    authMethod: "password",
    status: "pending",
    keyId: publicKey.kid,
    sealed: await seal(profile, publicKey, { registrationId: id, address }),
  };
  const file = join(dir, "one.jsonl");
  await writeFile(file, await new Response(writeRegistrationFile([record], { keyId: publicKey.kid })).text());
  expect((await runCli(["registrations", "import", file], { cwd: dir })).code).toBe(0);
  const applied = await runCli(["registrations", "apply", id, "--instance", "default"], { cwd: dir });
  expect(applied.code, applied.stderr).toBe(0);
}

describe("mailreg smtp resolve", () => {
  it("explains that the template's counterpart wins, with the mailbox's own login", async () => {
    await setUp(
      {
        company: {
          host: "relay.example.com",
          port: 587,
          auth: { method: "plain", user: "relay", password: "relay-secret" },
        },
      },
      { smtp: { host: "smtp.example.com", port: 587, auth: { method: "plain" } } },
    );
    await applyMailbox("ann@example.com");
    const r = await runCli(["smtp", "resolve", " ann@EXAMPLE.com "], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").slice(0, 6)).toEqual([
      "ann@example.com (instance default) is sent through smtp.example.com:587 (level mailbox, from template:example)",
      "  security:    STARTTLS, required (follows from port 587)",
      "  certificate: checked against smtp.example.com",
      "  login:       PLAIN as ann@example.com with the mailbox's password",
      "Passed over: none",
      "",
    ]);
  });

  it("finds the mailbox whatever the case of the local part typed (Ann@ applied, ann@ and ANN@ asked)", async () => {
    await setUp({}, { smtp: { host: "smtp.example.com", port: 587, auth: { method: "plain" } } });
    await applyMailbox("Ann@example.com");
    for (const asked of ["ann@example.com", "ANN@example.com"]) {
      const r = await runCli(["smtp", "resolve", asked], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("(instance default) is sent through smtp.example.com:587 (level mailbox");
      expect(r.stdout).toContain("login:       PLAIN as Ann@example.com");
    }
  });

  it("--json lists each level passed over and the warnings, and never a password", async () => {
    await setUp({
      company: { enabled: false, host: "relay.example.com", port: 587 },
      default: {
        host: "smtp.office365.com",
        port: 465,
        auth: { method: "login", user: "relay", password: "relay-secret" },
      },
    });
    await applyMailbox("bob@example.com");
    const r = await runCli(["smtp", "resolve", "bob@example.com", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<Record<string, unknown>>();
    expect(out).toMatchObject({
      address: "bob@example.com",
      instance: "default",
      resolved: true,
      level: "default",
      effective: {
        host: "smtp.office365.com",
        port: 465,
        security: "tls",
        auth: { method: "login", user: "relay", credentials: "level" },
      },
      passedOver: [
        { level: "mailbox", source: "template:example", reason: "not-set" },
        { level: "company", source: "company", reason: "disabled" },
        { level: "instance", source: "instance:default", reason: "not-set" },
      ],
    });
    expect((out.warnings as { code: string }[]).map((w) => w.code)).toEqual([
      "exchange-implicit-tls",
      "office365-basic-auth",
    ]);
    expect(r.stdout).not.toContain("relay-secret");
  });

  it("exits 1 and says why when no level can send", async () => {
    await setUp({ company: { host: "relay.example.com", port: 587, auth: { method: "xoauth2" } } });
    await applyMailbox("carol@example.com");
    const r = await runCli(["smtp", "resolve", "carol@example.com"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "carol@example.com (instance default) cannot be sent: no level of the SMTP chain is usable",
    );
    expect(r.stdout).toContain(
      "company (company): missing-credentials: XOAUTH2 needs an OAuth 2.0 grant, but carol@example.com signs in with a password",
    );
  });

  it("fails with NOT_FOUND for an address without mailbox, and with a usage error without address", async () => {
    await setUp({});
    const missing = await runCli(["smtp", "resolve", "nobody@example.com"], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error [NOT_FOUND]: No mailbox has the address nobody@example.com\n");
    expect((await runCli(["smtp", "resolve"], { cwd: dir })).code).toBe(2);
  });
});
