import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
// The deno binary itself (not the npm package's node wrapper, which would not pass SIGTERM on);
// running the wrapper once makes sure the binary is in place.
const wrapper = createRequire(import.meta.url).resolve("deno/bin.cjs");
spawnSync(process.execPath, [wrapper, "--version"]);
const deno = join(dirname(wrapper), "deno");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-deno-start-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("deno task start", () => {
  it("initialises an empty folder and serves the app with Deno.serve and the worker, with the task's permissions", async () => {
    // The same flags as the root deno.json "start" task; a free port through the environment override.
    const child = spawn(
      deno,
      [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
        "--config",
        join(repo, "deno.json"),
        join(repo, "tools/cli/src/start.deno.ts"),
      ],
      { cwd: dir, env: { ...process.env, MAILREG_SERVER__PORT: "0" } },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 40 s:\n${out}`)), 40_000);
        const poll = setInterval(() => {
          const m = /registration page: (http:\/\/\S+)\/register/.exec(out);
          if (m?.[1] !== undefined) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(m[1]);
          }
        }, 100);
      });
      expect(out).toContain("First admin credentials");
      expect(out).toContain('"msg":"worker started"');
      const page = await fetch(`${base}/register`);
      expect(page.status).toBe(200);
      // A fresh config opens no registration window: the page says registration is closed.
      expect(await page.text()).toContain("Mailbox registration");
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    expect(out).toContain("stopped");
  }, 60_000);
});
