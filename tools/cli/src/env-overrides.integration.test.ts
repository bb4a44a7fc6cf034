// `MAILREG_PORT=tcp://10.0.0.1:8080 npm start`: Kubernetes injects MAILREG_* variables into every
// pod of a namespace with a Service named "mailreg". The real command starts, with one warning;
// a mistyped setting still stops it, saying what was meant.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MailregProcess, spawnMailreg } from "../test/mailreg-process.ts";

let dir: string;
let running: MailregProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-env-"));
});
afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

const KUBERNETES = {
  MAILREG_PORT: "tcp://10.0.0.1:8080",
  MAILREG_PORT_8080_TCP: "tcp://10.0.0.1:8080",
  MAILREG_PORT_8080_TCP_ADDR: "10.0.0.1",
  MAILREG_PORT_8080_TCP_PORT: "8080",
  MAILREG_PORT_8080_TCP_PROTO: "tcp",
  MAILREG_SERVICE_HOST: "10.0.0.1",
  MAILREG_SERVICE_PORT: "8080",
};

async function until(condition: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("environment overrides beside an orchestrator's variables", () => {
  it("starts with Kubernetes' MAILREG_* service variables set, warning once, and serves", async () => {
    running = spawnMailreg(["start", "--port", "0"], { cwd: dir, env: KUBERNETES });
    const process = running;
    await until(
      () =>
        /registration page: http:\/\/\S+\/register/.test(process.stdout()) || process.child.exitCode !== null,
      () => process.stdout() + process.stderr(),
    );
    expect(process.child.exitCode, process.stderr()).toBeNull();
    const base = /registration page: (http:\/\/\S+)\/register/.exec(process.stdout())?.[1];
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
    process.child.kill("SIGTERM");
    expect(await process.exited).toBe(0);

    const warnings = process
      .stderr()
      .split("\n")
      .filter((line) => /warning/i.test(line));
    expect(warnings).toEqual([
      `warning: Ignored 7 environment variables that name no config setting: ${Object.keys(KUBERNETES).sort().join(", ")}`,
    ]);
  });

  it("refuses to start on a mistyped setting and names the one it meant", async () => {
    running = spawnMailreg(["start", "--port", "0"], {
      cwd: dir,
      env: { ...KUBERNETES, MAILREG_SERVER__POTR: "9000" },
    });
    expect(await running.exited).toBe(1);
    expect(running.stderr()).toContain(
      "MAILREG_SERVER__POTR: does not name a config setting; did you mean MAILREG_SERVER__PORT?",
    );
  });
});
