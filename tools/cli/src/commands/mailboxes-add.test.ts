import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@mailreg/core";
import { loadKeyring, open } from "@mailreg/crypto-registry";
import { isAppOnlyProfileAuth } from "@mailreg/oauth";
import { getMailbox, listRegistrations, openStore } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-mailboxes-add-"));
  const init = await runCli(["init", "--json"], { cwd: dir });
  if (init.code !== 0) throw new Error(init.stderr);
  const path = join(dir, "mailreg.config.json");
  const config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  config.servers = [
    {
      id: "m365",
      label: "Microsoft 365",
      protocol: "imap",
      host: "outlook.office365.com",
      port: 993,
      security: "tls",
    },
  ];
  config.oauth = {
    providers: {
      contoso: {
        kind: "microsoft",
        tenant: "contoso.onmicrosoft.com",
        clientId: "contoso-mail-app",
        clientSecret: "app-secret-from-the-environment",
        redirectUri: "https://reg.example.org/register/oauth/contoso/callback",
      },
    },
  };
  config.instances = [
    ...(config.instances as unknown[]),
    { id: "contoso", label: "Contoso (app-only)", oauthAppOnly: { provider: "contoso" } },
  ];
  await writeFile(path, JSON.stringify(config, null, 2));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function opened() {
  const { config } = await loadConfig({ path: join(dir, "mailreg.config.json"), env: {} });
  const store = await openStore({ url: config.database.url });
  const keyring = await loadKeyring({
    publicKeyFile: config.keys.publicKeyFile,
    privateKeyDir: config.keys.privateKeyDir,
  });
  return { store, keyring };
}

describe("mailreg mailboxes add (app-only OAuth)", () => {
  it("registers and applies the mailbox in one step; its sealed profile holds no secret, only the app-only marker; adding it again updates it", async () => {
    const added = await runCli(
      ["mailboxes", "add", "Ann@Contoso.COM", "--instance", "contoso", "--template", "m365", "--json"],
      { cwd: dir },
    );
    expect(added.code, added.stderr).toBe(0);
    const out = added.json<{
      mailbox: { id: string; address: string };
      created: boolean;
      provider: string;
    }>();
    expect(out).toMatchObject({
      mailbox: { address: "Ann@contoso.com", instance: "contoso" },
      provider: "contoso",
      created: true,
    });
    expect(added.stdout).not.toContain("app-secret-from-the-environment");

    const { store, keyring } = await opened();
    const mailbox = await getMailbox(store, out.mailbox.id);
    const profile = await open(mailbox.sealed, keyring, {
      registrationId: mailbox.registrationId,
      address: mailbox.address,
    });
    expect(profile).toMatchObject({
      host: "outlook.office365.com",
      port: 993,
      security: "tls",
      login: "Ann@contoso.com",
    });
    expect(isAppOnlyProfileAuth(profile.auth)).toBe(true);
    const applied = await listRegistrations(store, { status: "applied" });
    expect(applied.map((r) => r.address)).toEqual(["Ann@contoso.com"]);
    expect(applied[0]?.decision).toMatchObject({ instance: "contoso" });
    store.close();

    const again = await runCli(
      ["mailboxes", "add", "Ann@CONTOSO.com", "--instance", "contoso", "--template", "m365"],
      {
        cwd: dir,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Updated mailbox ${out.mailbox.id}`);
  });

  it("refuses an instance without app-only access and an unknown template, storing nothing", async () => {
    const plain = await runCli(
      ["mailboxes", "add", "bob@contoso.com", "--instance", "default", "--template", "m365"],
      {
        cwd: dir,
      },
    );
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/VALIDATION.*has no oauthAppOnly/s);
    const template = await runCli(
      ["mailboxes", "add", "bob@contoso.com", "--instance", "contoso", "--template", "gmail"],
      { cwd: dir },
    );
    expect(template.code).toBe(1);
    expect(template.stderr).toContain("NOT_FOUND");
    const usage = await runCli(["mailboxes", "add", "bob@contoso.com", "--template", "m365"], { cwd: dir });
    expect(usage.code).toBe(2);
    const { store } = await opened();
    expect(await listRegistrations(store)).toEqual([]);
    store.close();
  });
});
