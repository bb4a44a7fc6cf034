import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import { runCli } from "../testing.ts";

const dovecot = inject("mailservers").dovecot;
const running = { untilStopped: () => new Promise<string>(() => {}) };
const SECRET = "cli-hook-secret-88e2";

let dir: string;
let close: (() => Promise<void>) | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-reroute-"));
});
afterEach(async () => {
  await close?.();
  close = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A real local webhook receiver: the subjects it got with a valid signature. */
async function receiver() {
  const got: { subject: string; signed: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const signed =
        req.headers["x-mailreg-signature"] ===
        `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}`;
      got.push({ subject: (JSON.parse(text) as { envelope: { subject: string } }).envelope.subject, signed });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe("mailreg mailboxes reroute", () => {
  it("applies a rule added after collection to the stored messages once: only those with attachments reach the webhook; a second run delivers nothing", async () => {
    const hook = await receiver();
    const folder = await mailFolder(dir, dovecot);
    const { mailbox, messages } = await folder.addMailbox({ count: 12, seed: 77 });
    const sync = await runCli(["mailboxes", "sync", mailbox.address], { cwd: dir, ...running });
    expect(sync.code, sync.stderr).toBe(0);
    const withAttachment = messages.filter((m) => m.hasAttachment).map((m) => m.subject);
    expect(withAttachment.length).toBeGreaterThan(0);
    expect(withAttachment.length).toBeLessThan(messages.length);

    // the administrator adds a webhook and a rule to the config
    const path = join(dir, "mailreg.config.json");
    const config = JSON.parse(await readFile(path, "utf8")) as { instances: { id: string }[] };
    config.instances = config.instances.map((i) =>
      i.id === mailbox.instanceId
        ? { ...i, routing: { rules: [{ match: { hasAttachment: true }, sinks: ["crm"] }], default: [] } }
        : i,
    );
    await writeFile(
      path,
      JSON.stringify({
        ...config,
        sinks: { crm: { kind: "webhook", url: hook.url, secretEnv: "CRM_HOOK_SECRET", attempts: 1 } },
      }),
    );
    const env = { USER: "tester", CRM_HOOK_SECRET: SECRET };

    const unset = await runCli(["mailboxes", "reroute", mailbox.address], { cwd: dir });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("CRM_HOOK_SECRET");
    expect(hook.got).toEqual([]);

    const first = await runCli(["mailboxes", "reroute", mailbox.address, "--json"], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({
      address: mailbox.address,
      messages: 12,
      delivered: withAttachment.length,
      failed: 0,
    });
    expect(hook.got.map((g) => g.subject).sort()).toEqual([...withAttachment].sort());
    expect(hook.got.every((g) => g.signed)).toBe(true);

    const second = await runCli(["mailboxes", "reroute", mailbox.id], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/delivered:\s+0/);
    expect(hook.got).toHaveLength(withAttachment.length);
    expect(first.stdout + second.stdout + first.stderr).not.toContain(SECRET);
  });
});
