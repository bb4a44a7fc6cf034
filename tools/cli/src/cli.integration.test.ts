import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RegistrationRecord, writeRegistrationFile } from "@mailreg/core";
import { loadPublicKey, seal } from "@mailreg/crypto-registry";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A registration for `address`, sealed to the folder's registry public key, as a registration site makes it. */
async function register(address: string, password: string): Promise<RegistrationRecord> {
  const publicKey = await loadPublicKey(join(dir, "keys/registry.public.jwk"));
  const draft = makeRegistration({ address, keyId: publicKey.kid });
  const profile = makeProfile(draft, { auth: { method: "password", password } });
  return { ...draft, sealed: await seal(profile, publicKey, { registrationId: draft.id, address }) };
}

async function writeFile_(name: string, records: RegistrationRecord[], keyId: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, await new Response(writeRegistrationFile(records, { keyId })).text());
  return path;
}

describe("mailreg CLI", () => {
  it("init, validate, import, apply twice: one mailbox with the second credentials and two audit entries", async () => {
    const init = await runCli(["init", "--json"], { cwd: dir });
    expect(init.code).toBe(0);
    const created = init.json<{ credentials: { adminPassword: string; apiToken: string } }>();
    expect(created.credentials.adminPassword.length).toBeGreaterThanOrEqual(20);
    const config = await readFile(join(dir, "mailreg.config.json"), "utf8");
    expect(config).not.toContain(created.credentials.adminPassword);
    expect(config).not.toContain(created.credentials.apiToken);

    const again = await runCli(["init", "--json"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.json()).not.toHaveProperty("credentials");
    expect(await readFile(join(dir, "mailreg.config.json"), "utf8")).toBe(config);

    expect((await runCli(["config", "validate"], { cwd: dir })).code).toBe(0);

    const first = await register("ann@example.com", "first-secret");
    const second = await register("ann@example.com", "second-secret");
    const file1 = await writeFile_("one.jsonl", [first], first.keyId);
    const imported = await runCli(["registrations", "import", file1, "--json"], { cwd: dir });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json()).toMatchObject({ inserted: 1, skipped: 0 });

    const applied1 = await runCli(["registrations", "apply", first.id, "--instance", "default", "--json"], {
      cwd: dir,
    });
    expect(applied1.code, applied1.stderr).toBe(0);
    expect(applied1.json()).toMatchObject({ created: true });

    const file2 = await writeFile_("two.jsonl", [second], second.keyId);
    expect((await runCli(["registrations", "import", file2], { cwd: dir })).code).toBe(0);
    // no silent takeover: the existing mailbox is replaced only when the admin says so
    const refused = await runCli(["registrations", "apply", second.id, "--instance", "default", "--json"], {
      cwd: dir,
    });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({
      error: { code: "CONFLICT", details: { changes: expect.arrayContaining([{ field: "secret" }]) } },
    });
    const applied2 = await runCli(
      ["registrations", "apply", second.id, "--instance", "default", "--replace", "--json"],
      { cwd: dir },
    );
    expect(applied2.code, applied2.stderr).toBe(0);
    const out2 = applied2.json<{ created: boolean; mailbox: { id: string } }>();
    expect(out2.created).toBe(false);
    expect(out2.mailbox.id).toBe(applied1.json<{ mailbox: { id: string } }>().mailbox.id);

    // Exactly one mailbox, holding the second registration's sealed credentials, and two audit entries.
    const { openStore, listMailboxes, listAudit } = await import("@mailreg/store");
    const store = await openStore({ url: `file:${join(dir, "data/mailreg.db")}` });
    try {
      const mailboxes = await listMailboxes(store);
      expect(mailboxes).toHaveLength(1);
      expect(mailboxes[0]?.sealed).toBe(second.sealed);
      const { loadKeyring, open } = await import("@mailreg/crypto-registry");
      const keyring = await loadKeyring({
        publicKeyFile: join(dir, "keys/registry.public.jwk"),
        privateKeyDir: join(dir, "keys/private"),
      });
      const profile = await open(mailboxes[0]!.sealed, keyring, {
        registrationId: mailboxes[0]!.registrationId,
        address: "ann@example.com",
      });
      expect(profile.auth).toEqual({ method: "password", password: "second-secret" });
      const audit = (await listAudit(store, { limit: 100 })).filter((a) => a.action === "registration.apply");
      expect(audit).toHaveLength(2);
      expect(audit.every((a) => a.actor === "cli:tester")).toBe(true);
    } finally {
      store.close();
    }

    // The listing shows both as applied and never a secret.
    const list = await runCli(["registrations", "list", "--status", "applied"], { cwd: dir });
    expect(list.stdout).toContain(first.id);
    expect(list.stdout).toContain(second.id);
    expect(list.stdout).not.toContain("secret");
    const show = await runCli(["registrations", "show", second.id, "--json"], { cwd: dir });
    expect(show.json()).toMatchObject({
      status: "applied",
      decision: { instance: "default", by: "cli:tester" },
    });
    expect(show.stdout).not.toContain(second.sealed);
  });

  it("a registration file with one broken line is refused by line number and stores nothing", async () => {
    await runCli(["init"], { cwd: dir });
    const good = await register("bob@example.com", "pw");
    const path = await writeFile_("bad.jsonl", [good], good.keyId);
    await writeFile(path, `${await readFile(path, "utf8")}{"id":"not-a-registration"}\n`);
    const r = await runCli(["registrations", "import", path], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[REGFILE_LINE\]: .*line 3/);
    const list = await runCli(["registrations", "list", "--json"], { cwd: dir });
    expect(list.json()).toEqual([]);
  });

  it("a registration file whose typed-in servers the network policy refuses stores nothing and names the lines", async () => {
    await runCli(["init"], { cwd: dir });
    const good = await register("gina@example.com", "pw");
    const loopback = { ...(await register("hal@example.com", "pw")), host: "127.0.0.1" };
    const mapped = { ...(await register("ida@example.com", "pw")), host: "[::ffff:0:7f00:1]" };
    const ssh = { ...(await register("jo@example.com", "pw")), port: 22 };
    const path = await writeFile_("policy.jsonl", [good, loopback, mapped, ssh], good.keyId);
    const r = await runCli(["registrations", "import", path, "--json"], { cwd: dir });
    expect(r.code).toBe(1);
    const error = (
      JSON.parse(r.stderr) as { error: { code: string; details: { refused: { line: number }[] } } }
    ).error;
    expect(error.code).toBe("VALIDATION");
    expect(error.details.refused.map((x) => x.line)).toEqual([3, 4, 5]);
    const list = await runCli(["registrations", "list", "--json"], { cwd: dir });
    expect(list.json()).toEqual([]);
  });

  it("a tampered sealed secret is refused on apply and nothing changes", async () => {
    await runCli(["init"], { cwd: dir });
    const r = await register("carol@example.com", "pw");
    const parts = r.sealed.split(".");
    const ct = parts[3]!;
    parts[3] = (ct[0] === "A" ? "B" : "A") + ct.slice(1);
    const tampered = { ...r, sealed: parts.join(".") };
    await runCli(["registrations", "import", await writeFile_("t.jsonl", [tampered], r.keyId)], { cwd: dir });
    const applied = await runCli(["registrations", "apply", r.id, "--instance", "default"], { cwd: dir });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/^error \[SEAL_TAMPERED\]/);
    const show = await runCli(["registrations", "show", r.id, "--json"], { cwd: dir });
    expect(show.json()).toMatchObject({ status: "pending" });
  });

  it("a record whose clear fields differ from its sealed profile is refused", async () => {
    await runCli(["init"], { cwd: dir });
    const r = await register("dave@example.com", "pw");
    const edited = { ...r, host: "evil.example.net" };
    await runCli(["registrations", "import", await writeFile_("e.jsonl", [edited], r.keyId)], { cwd: dir });
    const applied = await runCli(["registrations", "apply", r.id, "--instance", "default", "--json"], {
      cwd: dir,
    });
    expect(applied.code).toBe(1);
    expect(JSON.parse(applied.stderr)).toMatchObject({ error: { code: "PROFILE_MISMATCH" } });
  });

  it("a broken config fails validation with every problem by its path (exit 1)", async () => {
    await writeFile(
      join(dir, "mailreg.config.json"),
      JSON.stringify({
        server: { port: 70000 },
        registration: { windows: [{ from: "2026-12-02T00:00:00Z", until: "2026-12-01T00:00:00Z" }] },
      }),
    );
    const r = await runCli(["config", "validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CONFIG_INVALID");
    expect(r.stderr).toContain("server.port");
    expect(r.stderr).toContain("registration.windows[0].until: must be after from");
  });

  it("usage mistakes exit 2 and unknown commands list the commands", async () => {
    expect((await runCli(["registrations", "apply", "x"], { cwd: dir })).code).toBe(2);
    expect((await runCli(["registrations", "list", "--bogus"], { cwd: dir })).code).toBe(2);
    const unknown = await runCli(["frobnicate"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("registrations apply");
    const help = await runCli(["--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("keys rotate");
  });

  it("keys rotate re-seals every stored secret; applying still works afterwards", async () => {
    await runCli(["init"], { cwd: dir });
    const r = await register("erin@example.com", "pw");
    await runCli(["registrations", "import", await writeFile_("r.jsonl", [r], r.keyId)], { cwd: dir });
    const rotated = await runCli(["keys", "rotate", "--json"], { cwd: dir });
    expect(rotated.code, rotated.stderr).toBe(0);
    const out = rotated.json<{ oldKid: string; newKid: string; resealed: number }>();
    expect(out.resealed).toBe(1);
    expect(out.newKid).not.toBe(out.oldKid);
    const show = await runCli(["registrations", "show", r.id, "--json"], { cwd: dir });
    expect(show.json()).toMatchObject({ keyId: out.newKid });
    const applied = await runCli(["registrations", "apply", r.id, "--instance", "default"], { cwd: dir });
    expect(applied.code, applied.stderr).toBe(0);
  });
});
