import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForSpool } from "@mailreg/mailservers";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import { runCli } from "../testing.ts";

const { dovecot, smtpSink } = inject("mailservers");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-send-check-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Points the folder's default SMTP level at the test sink (its CA is not in this process's trust store). */
async function defaultSmtp(port: number): Promise<void> {
  const path = join(dir, "mailreg.config.json");
  const config = JSON.parse(await readFile(path, "utf8"));
  config.smtp = { default: { host: smtpSink.host, port, security: "starttls", tls: { verify: false } } };
  await writeFile(path, JSON.stringify(config, null, 2));
}

describe("mailreg mailboxes check --to", () => {
  it("sends a test mail through the resolved server, reports each step, and the recipient gets it", async () => {
    const folder = await mailFolder(dir, dovecot);
    await defaultSmtp(smtpSink.port);
    const { mailbox } = await folder.addMailbox();
    const to = `probe-${Math.random().toString(36).slice(2, 9)}@example.test`;
    const r = await runCli(["mailboxes", "check", mailbox.address, "--to", to, "--json"], { cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = r.json<{
      ok: boolean;
      sending: { ok: boolean; messageId: string; steps: { step: string; ok: boolean }[] };
    }>();
    expect(out.ok).toBe(true);
    expect(out.sending.ok).toBe(true);
    expect(out.sending.steps.every((s) => s.ok)).toBe(true);
    const [arrived] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
    expect(arrived?.mailFrom).toBe(mailbox.address);
    expect(arrived?.raw).toContain(out.sending.messageId);

    const human = await runCli(["mailboxes", "check", mailbox.address, "--to", to], { cwd: dir });
    expect(human.stdout).toContain(`sending to ${to}:`);
  });

  it("an unreachable SMTP server fails the check with exit 1 and says which step failed", async () => {
    const folder = await mailFolder(dir, dovecot);
    await defaultSmtp(1); // nothing listens on port 1
    const { mailbox } = await folder.addMailbox();
    const r = await runCli(["mailboxes", "check", mailbox.address, "--to", "probe@example.test", "--json"], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    const out = r.json<{ ok: boolean; sending: { ok: boolean; steps: { step: string; ok: boolean }[] } }>();
    expect(out.ok).toBe(true); // receiving still works
    expect(out.sending.ok).toBe(false);
    expect(out.sending.steps.find((s) => !s.ok)?.step).toBeDefined();
  });
});
