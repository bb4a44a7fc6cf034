/**
 * Registration submits under load: autocannon POSTs registrations to the running app (in a child
 * process, holding only the public key, on a file database) for 30 s, every one sealed and stored;
 * prints sealed registrations per second and the latency percentiles, and checks that every 201
 * answer is a stored registration.
 *
 * @module
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
import { countRegistrations, openStore } from "@mailreg/store";
import autocannon from "autocannon";
import type { Benchmark } from "./benchmark.ts";

function _startServer(config: object): Promise<{ url: string; stop(): Promise<void> }> {
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const child = fork(
    new URL(`./registration-server-child.${ext}`, import.meta.url),
    [JSON.stringify(config)],
    {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    },
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.disconnect();
    });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ url: (m as { url: string }).url, stop }));
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

export const registrationSubmitBenchmark: Benchmark = {
  name: "registration-submit",
  summary: "POST /api/v1/registrations under load (autocannon, 10 connections, 30 s): sealed and stored",
  async run(args) {
    const seconds = Number(args.duration ?? 30);
    const connections = Number(args.connections ?? 10);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-reg-"));
    const keys = { publicKeyFile: join(dir, "registry.public.jwk"), privateKeyDir: join(dir, "private") };
    await writeKeyPair(await generateRegistryKey(), keys);
    const database = `file:${join(dir, "mailreg.db")}`;
    const server = await _startServer({
      database: { url: database },
      keys,
      server: { host: "127.0.0.1", port: 0 },
      registration: { enabled: true, templates: ["imap"], rateLimit: { max: 100_000_000, windowSeconds: 1 } },
      servers: [{ id: "imap", label: "IMAP", protocol: "imap", host: "imap.example.com" }],
    });
    try {
      const body = JSON.stringify({
        address: "ann@example.com",
        displayName: "Ann",
        password: "correct horse battery",
      });
      const result = await autocannon({
        url: `${server.url}/api/v1/registrations`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        connections,
        duration: seconds,
      });
      await server.stop();
      const store = await openStore({ url: database });
      const stored = await countRegistrations(store);
      store.close();
      const ok = result["2xx"];
      const perSecond = Math.round(ok / result.duration);
      return {
        results: [
          { step: "sealed registrations (201, stored)", records: ok, seconds: result.duration, perSecond },
        ],
        notes: [
          `latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms ` +
            `(${connections} connections)`,
          `answers: ${ok} × 201, ${result.non2xx} other, ${result.errors} errors; ${stored} registrations stored`,
          `target: ≥ 1,000/s with p99 < 50 ms → ${perSecond >= 1000 && result.latency.p99 < 50 ? "met" : "NOT met"}`,
        ],
        // autocannon stops counting at the deadline: up to one answer per connection may land after it
        ok: result.non2xx === 0 && result.errors === 0 && stored >= ok && stored <= ok + connections,
      };
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
