/**
 * The registration app under load: 200 concurrent clients (autocannon) POST registrations for 60 s
 * to the app in a child process (holding only the public key, on a file database), every request
 * with an address of its own; then every 201's id is looked up in the store. Prints requests,
 * answers by class, latency percentiles, and the check: zero 5xx, zero errors, every 201 stored.
 * `npm run bench -- registration-load duration=60 connections=200`.
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

function _startServer(config: object): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
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
    child.once("message", (m) => resolve({ url: (m as { url: string }).url, pid: child.pid!, stop }));
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

/** The resident set size of a process in MiB (Linux /proc), or undefined elsewhere. */
async function _rssMiB(pid: number): Promise<number | undefined> {
  try {
    const { readFile } = await import("node:fs/promises");
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export const registrationLoadBenchmark: Benchmark = {
  name: "registration-load",
  summary: "the registration app under 200 concurrent clients for 60 s: zero 5xx, every 201 stored",
  async run(args) {
    const seconds = Number(args.duration ?? 60);
    const connections = Number(args.connections ?? 200);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-load-"));
    const keys = { publicKeyFile: join(dir, "registry.public.jwk"), privateKeyDir: join(dir, "private") };
    await writeKeyPair(await generateRegistryKey(), keys);
    const database = `file:${join(dir, "mailreg.db")}`;
    const server = await _startServer({
      database: { url: database },
      keys: { publicKeyFile: keys.publicKeyFile },
      server: { host: "127.0.0.1", port: 0 },
      registration: { enabled: true, templates: ["imap"], rateLimit: { max: 100_000_000, windowSeconds: 1 } },
      servers: [{ id: "imap", label: "IMAP", protocol: "imap", host: "imap.example.com" }],
    });
    const ids = new Set<string>();
    let parseFailures = 0;
    let n = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      void _rssMiB(server.pid).then((mb) => {
        if (mb !== undefined) peakRss = Math.max(peakRss, mb);
      });
    }, 500);
    try {
      const result = await autocannon({
        url: `${server.url}/api/v1/registrations`,
        connections,
        duration: seconds,
        requests: [
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            // an address of its own per request, so each 201 is one record to find
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({
                address: `load-${++n}@example.com`,
                displayName: "Load",
                password: "correct horse battery",
              }),
            }),
            onResponse: (status, body) => {
              if (status !== 201) return;
              try {
                ids.add((JSON.parse(body) as { id: string }).id);
              } catch {
                parseFailures++;
              }
            },
          },
        ],
      });
      clearInterval(sampler);
      await server.stop();
      const store = await openStore({ url: database });
      let stored: number;
      let missing = 0;
      try {
        stored = await countRegistrations(store);
        const found = new Set<string>();
        const all = [...ids];
        for (let i = 0; i < all.length; i += 500) {
          const chunk = all.slice(i, i + 500);
          const rows = await store.client.execute({
            sql: `SELECT id FROM registrations WHERE id IN (${chunk.map(() => "?").join(",")})`,
            args: chunk,
          });
          for (const row of rows.rows) found.add(String(row.id));
        }
        missing = all.filter((id) => !found.has(id)).length;
      } finally {
        store.close();
      }
      const fivexx = result["5xx"];
      const created = ids.size;
      const ok =
        fivexx === 0 && result.errors === 0 && result.timeouts === 0 && missing === 0 && parseFailures === 0;
      return {
        results: [
          {
            step: `registrations under ${connections} clients (201, stored)`,
            records: created,
            seconds: result.duration,
            perSecond: Math.round(created / result.duration),
          },
        ],
        notes: [
          `requests: ${result.requests.total} sent, ${created} × 201, ${result["4xx"]} × 4xx, ${fivexx} × 5xx, ` +
            `${result.errors} errors, ${result.timeouts} timeouts`,
          `latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
          `stored: ${stored} registrations; ${created - missing} of ${created} acknowledged ids found, ${missing} missing`,
          `server peak RSS: ${peakRss} MiB`,
          `check: zero 5xx, zero errors, every 201 stored → ${ok ? "held" : "FAILED"}`,
        ],
        ok,
      };
    } finally {
      clearInterval(sampler);
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
