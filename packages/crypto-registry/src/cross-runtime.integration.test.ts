import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRegistryKey } from "./key.ts";
import { writeKeyPair } from "./key-files.ts";
import { inspectSealed } from "./open.ts";
import { testProfile } from "./testing.ts";

const PASSPHRASE = "cross-runtime-passphrase";
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const script = join(packageDir, "test", "cross-runtime.ts");
const denoBin = createRequire(import.meta.url).resolve("deno/bin.cjs");
const runtimes = {
  node: ["--import", "tsx", script],
  deno: [denoBin, "run", "-A", script],
};

/** Runs the script under a runtime with `input` on stdin; resolves with stdout, rejects with stderr. */
function run(runtime: keyof typeof runtimes, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...runtimes[runtime], ...args], {
      cwd: packageDir,
      env: { ...process.env, MAILREG_KEY_PASSPHRASE: PASSPHRASE, NO_COLOR: "1" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`${runtime} exited ${code}: ${err}`)),
    );
    child.stdin.end(input);
  });
}

let dir: string;
let publicKeyFile: string;
let privateKeyDir: string;
let kid: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-cross-"));
  publicKeyFile = join(dir, "registry.pub.jwk");
  privateKeyDir = join(dir, "private");
  const key = await generateRegistryKey();
  kid = key.kid;
  await writeKeyPair(key, { publicKeyFile, privateKeyDir, passphrase: PASSPHRASE });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sealed profiles cross runtimes", () => {
  const profile = testProfile({ auth: { method: "password", password: "pässwörd ✓" } });
  const rid = "0193a4f2-7c1e-7000-8000-0000000000c1";

  it.each([
    ["node", "deno"],
    ["deno", "node"],
  ] as const)(
    "a profile sealed under %s opens under %s (passphrase-protected key file)",
    async (sealer, opener) => {
      const jwe = await run(sealer, ["seal", publicKeyFile, rid], JSON.stringify(profile));
      expect(inspectSealed(jwe)).toEqual({ kid, registrationId: rid, address: profile.address });
      const opened = JSON.parse(
        await run(opener, ["open", publicKeyFile, privateKeyDir, rid, profile.address], jwe),
      );
      expect(opened).toEqual({ runtime: opener, profile });
    },
  );

  it("a Node-sealed value opened under Deno for another registration or address is refused", async () => {
    const jwe = await run("node", ["seal", publicKeyFile, rid], JSON.stringify(profile));
    const mismatch = /^deno exited 1: SEAL_BINDING_MISMATCH: /;
    const otherId = `${rid.slice(0, -2)}c2`;
    await expect(
      run("deno", ["open", publicKeyFile, privateKeyDir, otherId, profile.address], jwe),
    ).rejects.toThrow(mismatch);
    await expect(
      run("deno", ["open", publicKeyFile, privateKeyDir, rid, "bob@example.org"], jwe),
    ).rejects.toThrow(mismatch);
  });
});
