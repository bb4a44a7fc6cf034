import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countMessages, listLeases } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import { runCli } from "../testing.ts";

const dovecot = inject("mailservers").dovecot;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-worker-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mailreg worker", () => {
  it("collects the applied mailboxes, logs one JSON line per run, serves its metrics, and stops on SIGTERM with no lease left", async () => {
    const folder = await mailFolder(dir, dovecot);
    const one = await folder.addMailbox({ count: 9, seed: 51 });
    const two = await folder.addMailbox({ count: 4, seed: 52 });
    const store = await folder.openStore();
    let metrics = "";
    const r = await runCli(["worker", "--metrics-port", "0"], {
      cwd: dir,
      untilStopped: async ({ stdout }) => {
        const url = /"url":"([^"]+)"/.exec(stdout())?.[1];
        if (url !== undefined) metrics = await (await fetch(url)).text();
        for (let i = 0; i < 100; i++) {
          if (
            (await countMessages(store, one.mailbox.id)) === 9 &&
            (await countMessages(store, two.mailbox.id)) === 4
          ) {
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return "SIGTERM";
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await countMessages(store, one.mailbox.id)).toBe(9);
    expect(await listLeases(store)).toEqual([]);
    store.close();
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === "sync" && l.mailboxId === one.mailbox.id)).toMatchObject({
      level: "info",
      status: "ok",
      fetched: 9,
      address: one.mailbox.address,
    });
    expect(lines.at(-1)).toMatchObject({ msg: "worker stopped" });
    expect(r.stderr).toMatch(/worker:\s+worker-\S+ \(4 at a time, leases 120 s\)/);
    expect(r.stderr).toContain("SIGTERM: stopping after the current chunk");
    const url = /metrics:\s+(\S+)/.exec(r.stderr)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(metrics).toContain("mailreg_worker_lag_seconds");
    expect(metrics).toContain("mailreg_worker_active_runs");
  });

  it("refuses a bad --metrics-port with a usage error", async () => {
    const r = await runCli(["worker", "--metrics-port", "x"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--metrics-port must be 0 to 65535");
  });
});
