import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./testing.ts";

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

  it("serve refuses a bad --port with a usage error", async () => {
    const r = await runCli(["serve", "--port", "70000"], { cwd: dir });
    expect(r.code).toBe(2);
  });
});
