import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { acquireLease, countMessages } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import type { Io } from "../io.ts";
import { main } from "../main.ts";
import { runCli } from "../testing.ts";

const dovecot = inject("mailservers").dovecot;
/** A run that is never told to stop (the default stops at once). */
const running = { untilStopped: () => new Promise<string>(() => {}) };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-mailboxes-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mailreg mailboxes", () => {
  it("list shows a new mailbox as never collected and due; sync collects it; list then shows the run", async () => {
    const folder = await mailFolder(dir, dovecot);
    const { mailbox, messages } = await folder.addMailbox({ count: 12, seed: 41 });

    const before = await runCli(["mailboxes", "list", "--json"], { cwd: dir });
    expect(before.code, before.stderr).toBe(0);
    const [listed] = before.json<Record<string, unknown>[]>();
    expect(listed).toMatchObject({
      id: mailbox.id,
      address: mailbox.address,
      lastRun: null,
      next: { reason: "new" },
    });
    expect(before.stdout).not.toContain("sealed");

    const sync = await runCli(["mailboxes", "sync", mailbox.address, "--json"], { cwd: dir, ...running });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json()).toMatchObject({
      address: mailbox.address,
      status: "ok",
      fetched: 12,
      aborted: false,
    });
    const store = await folder.openStore();
    expect(await countMessages(store, mailbox.id)).toBe(messages.length);
    store.close();

    const again = await runCli(["mailboxes", "sync", mailbox.id], { cwd: dir, ...running });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/fetched:\s+0 new/);

    const after = await runCli(["mailboxes", "list"], { cwd: dir });
    expect(after.stdout).toMatch(
      new RegExp(`${mailbox.address}\\s+default\\s+imap 127\\.0\\.0\\.1:\\d+\\s+every 300 s\\s+ok\\s+0`),
    );
  });

  it("sync draws a progress bar per folder on a terminal", async () => {
    const folder = await mailFolder(dir, dovecot);
    const { mailbox } = await folder.addMailbox({ count: 30, seed: 42 });
    let drawn = "";
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    terminal.on("data", (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    let stdout = "";
    const io: Io = {
      out: (t) => {
        stdout += t;
      },
      err: () => {},
      env: { USER: "tester" },
      cwd: dir,
      interactive: true,
      progressStream: terminal,
      untilStopped: running.untilStopped,
    };
    expect(await main(["mailboxes", "sync", mailbox.address], io)).toBe(0);
    expect(drawn).toMatch(/INBOX \[.*\] \d+% \| \d+\/30 messages/);
    expect(stdout).toMatch(/fetched:\s+30 new/);
  });

  it("check reports each step with its time, and a wrong password as an auth failure without the password", async () => {
    const folder = await mailFolder(dir, dovecot);
    const good = await folder.addMailbox();
    const ok = await runCli(["mailboxes", "check", good.mailbox.address, "--json"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const result = ok.json<{
      ok: boolean;
      steps: { step: string; ok: boolean; ms: number }[];
      folders: { path: string }[];
    }>();
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["connect", true],
      ["login", true],
      ["folders", true],
      ["logout", true],
    ]);
    expect(result.folders.map((f) => f.path)).toContain("INBOX");

    const bad = await folder.addMailbox({ wrongPassword: true });
    const refused = await runCli(["mailboxes", "check", bad.mailbox.address], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/FAIL login\s+\d+ ms {2}auth: /);
    expect(refused.stdout + refused.stderr).not.toContain("wrong-password");
  });

  it("sync refuses while a worker holds the mailbox, and asks for --instance when the address is in two instances", async () => {
    const folder = await mailFolder(dir, dovecot);
    const first = await folder.addMailbox({ count: 2, seed: 43 });
    const second = await folder.addMailbox({ user: first.user, instance: "second" });

    const ambiguous = await runCli(["mailboxes", "sync", first.mailbox.address], { cwd: dir, ...running });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("several instances (default, second): pass --instance or the id");

    const store = await folder.openStore();
    await acquireLease(store, { mailboxId: second.mailbox.id, owner: "worker-elsewhere", seconds: 60 });
    store.close();
    const busy = await runCli(["mailboxes", "sync", first.mailbox.address, "--instance", "second"], {
      cwd: dir,
      ...running,
    });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("[CONFLICT]");
    expect(busy.stderr).toContain("being collected right now by worker-elsewhere");

    const other = await runCli(
      ["mailboxes", "sync", first.mailbox.address, "--instance", "default", "--json"],
      {
        cwd: dir,
        ...running,
      },
    );
    expect(other.code, other.stderr).toBe(0);
    expect(other.json()).toMatchObject({ fetched: 2 });

    const missing = await runCli(["mailboxes", "check", "nobody@example.test"], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("[NOT_FOUND]");
  });
});
