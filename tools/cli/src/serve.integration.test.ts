import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countMessages } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../test/mail-folder.ts";
import { runCli } from "./testing.ts";

const dovecot = inject("mailservers").dovecot;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-serve-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads the registration page URL the command printed and fetches paths from it while it runs. */
function probe(paths: string[], seen: Record<string, number>) {
  return async ({ stdout }: { stdout: () => string }) => {
    const base = /registration page: (http:\/\/\S+)\/register/.exec(stdout())?.[1];
    if (base === undefined) throw new Error(`no URL printed: ${stdout()}`);
    for (const path of paths) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      await res.body?.cancel();
      seen[path] = res.status;
    }
    return "SIGTERM";
  };
}

describe("mailreg start / serve", () => {
  it("start initialises an empty folder, serves the registration page and admin, and stops on SIGTERM", async () => {
    const seen: Record<string, number> = {};
    const r = await runCli(["start", "--port", "0"], {
      cwd: dir,
      untilStopped: probe(["/healthz", "/register", "/admin", "/statreg"], seen),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("First admin credentials");
    expect(r.stdout).toMatch(/admin:\s+http:\/\/127\.0\.0\.1:\d+\/admin/);
    expect(seen["/healthz"]).toBe(200);
    expect(seen["/register"]).toBe(200);
    expect([302, 303]).toContain(seen["/admin"]);
    expect([301, 302, 303, 308]).toContain(seen["/statreg"]);
    expect(r.stderr).toContain("SIGTERM: stopping");

    // A second start changes nothing and prints no new credentials.
    const again = await runCli(["start", "--port", "0"], {
      cwd: dir,
      untilStopped: probe(["/healthz"], seen),
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already initialised");
    expect(again.stdout).not.toContain("First admin credentials");
  });

  it("start also runs the worker: mailboxes are collected while it serves, the admin's sync now wakes it, one /metrics shows both; serve runs the app alone", async () => {
    const folder = await mailFolder(dir, dovecot);
    const auto = await folder.addMailbox({ count: 3, seed: 61 });
    const manual = await folder.addMailbox({ count: 6, seed: 62, autoFetch: false });
    const store = await folder.openStore();
    const seen: { sync?: number; waitedMs?: number; metrics?: string; manualBefore?: number } = {};
    const waitFor = async (mailboxId: string, count: number) => {
      for (let i = 0; i < 100 && (await countMessages(store, mailboxId)) < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const r = await runCli(["start", "--port", "0"], {
      cwd: dir,
      untilStopped: async ({ stdout }) => {
        const base = /registration page: (http:\/\/\S+)\/register/.exec(stdout())![1]!;
        await waitFor(auto.mailbox.id, 3);
        seen.manualBefore = await countMessages(store, manual.mailbox.id);
        const asked = Date.now();
        const res = await fetch(`${base}/api/v1/admin/mailboxes/${manual.mailbox.id}/sync`, {
          method: "POST",
          headers: { authorization: `Bearer ${folder.apiToken}` },
        });
        seen.sync = res.status;
        await waitFor(manual.mailbox.id, 6);
        seen.waitedMs = Date.now() - asked;
        // the messages are committed before the run is counted
        for (let i = 0; i < 50; i++) {
          seen.metrics = await (
            await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${folder.apiToken}` } })
          ).text();
          if (seen.metrics.includes(`mailreg_worker_messages_total{mailbox="${manual.mailbox.id}"}`)) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return "SIGTERM";
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/worker:\s+worker-\S+ \(4 at a time/);
    expect(await countMessages(store, auto.mailbox.id)).toBe(3);
    expect(seen.manualBefore).toBe(0);
    expect(seen.sync).toBe(202);
    expect(await countMessages(store, manual.mailbox.id)).toBe(6);
    expect(seen.waitedMs).toBeLessThan(3000);
    expect(seen.metrics).toContain(`mailreg_worker_messages_total{mailbox="${manual.mailbox.id}"} 6`);
    expect(seen.metrics).toContain("mailreg_http_requests_total");
    expect(r.stdout).toContain('"msg":"worker stopped"');

    let serveMetrics = "";
    const serve = await runCli(["serve", "--port", "0"], {
      cwd: dir,
      untilStopped: async ({ stdout }) => {
        const base = /registration page: (http:\/\/\S+)\/register/.exec(stdout())![1]!;
        serveMetrics = await (
          await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${folder.apiToken}` } })
        ).text();
        return "SIGTERM";
      },
    });
    store.close();
    expect(serve.code, serve.stderr).toBe(0);
    expect(serve.stdout).not.toContain("worker:");
    expect(serveMetrics).toContain("mailreg_http_requests_total");
    expect(serveMetrics).not.toContain("mailreg_worker_");
  });

  it("serve refuses a bad --port with a usage error", async () => {
    const r = await runCli(["serve", "--port", "70000"], { cwd: dir });
    expect(r.code).toBe(2);
  });
});
