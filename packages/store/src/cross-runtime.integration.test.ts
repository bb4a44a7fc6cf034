// A database written under Node is read under Deno, and the other way round (the same libSQL file
// format and the same migrations in both runtimes).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RegistrationRecord } from "@mailreg/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRegistration } from "./decisions.ts";
import { upsertInstances } from "./instances.ts";
import type { Mailbox } from "./mailboxes.ts";
import { listMailboxes } from "./mailboxes.ts";
import { getRegistration, insertRegistration } from "./registrations.ts";
import { openStore } from "./store.ts";
import { makeProfile, makeRegistration } from "./testing.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const deno = createRequire(import.meta.url).resolve("deno/bin.cjs");

function runDeno(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [deno, "run", "-A", "--no-prompt", "test/fixtures/store-cli.ts", ...args],
      {
        cwd: packageDir,
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mailreg-cross-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a store file shared by Node and Deno", () => {
  it("Deno reads what Node wrote", async () => {
    const url = `file:${dir}/node-wrote.db`;
    const store = await openStore({ url });
    await upsertInstances(store, [{ id: "main", label: "Main" }]);
    const record = await insertRegistration(
      store,
      makeRegistration({ address: "node@example.com", displayName: "Nöde" }),
    );
    const { mailbox } = await applyRegistration(store, {
      id: record.id,
      instanceId: "main",
      actor: "node",
      profile: makeProfile(record),
    });
    const written = await getRegistration(store, record.id);
    store.close();

    const run = await runDeno(["read", url]);
    expect(run.code, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout) as {
      registrations: RegistrationRecord[];
      mailboxes: Mailbox[];
      audit: unknown[];
    };
    expect(seen.registrations).toEqual([written]);
    expect(seen.mailboxes).toEqual([mailbox]);
    expect(seen.audit).toHaveLength(1);
  });

  it("Node reads what Deno wrote", async () => {
    const url = `file:${dir}/deno-wrote.db`;
    const run = await runDeno(["write", url, "denoland"]);
    expect(run.code, run.stderr).toBe(0);
    const { registrationId, mailboxId } = JSON.parse(run.stdout) as {
      registrationId: string;
      mailboxId: string;
    };

    const store = await openStore({ url });
    const record = await getRegistration(store, registrationId);
    const mailboxes = await listMailboxes(store);
    store.close();
    expect(record).toMatchObject({
      address: "denoland@example.com",
      status: "applied",
      decision: { by: "denoland" },
    });
    expect(mailboxes.map((m) => [m.id, m.address, m.sealed, m.registrationId])).toEqual([
      [mailboxId, "denoland@example.com", "sealed-by-denoland", registrationId],
    ]);
  });
});
