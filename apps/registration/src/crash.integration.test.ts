import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RegistrationRecord } from "@mailreg/core";
import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
import { listRegistrations, openStore, type Store } from "@mailreg/store";
import { afterAll, describe, expect, it } from "vitest";

// The registration app, as its own process on a file database, is killed with SIGKILL in the
// middle of a burst of submits (JSON API and form, 40 clients at once), started again, and killed
// again, several times. Every submission it acknowledged — a 201 with an id, or the form's 303 to
// the success page — must be in the store afterwards; a request cut by the kill may or may not be
// (its sender never heard back). MAILREG_SOAK=1 kills it 40 times.

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHILD = fileURLToPath(new URL("../test/server-process.ts", import.meta.url));
const SOAK = process.env.MAILREG_SOAK === "1";
const KILLS = SOAK ? 40 : 6;
const CLIENTS = 40;

let dir: string | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Starts the app process; resolves with its URL once it serves. */
function startApp(configPath: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, configPath], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const url = /listening (http:\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve({ child, url });
    });
    child.once("exit", (code, signal) => reject(new Error(`the app exited (${code ?? signal}): ${err}`)));
  });
}

/** Every registration in the store (listRegistrations pages by at most 1,000). */
async function allRegistrations(store: Store): Promise<RegistrationRecord[]> {
  const all: RegistrationRecord[] = [];
  for (;;) {
    const page = await listRegistrations(store, {
      limit: 1000,
      ...(all.length === 0 ? {} : { after: all.at(-1)!.id }),
    });
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

describe("the registration app killed during a burst of submits", () => {
  it(`SIGKILLed ${KILLS} times mid-burst and restarted: every acknowledged registration (201 or the success page) is in the store`, {
    timeout: SOAK ? 900_000 : 120_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-reg-crash-"));
    const keys = {
      publicKeyFile: join(dir, "keys/registry.public.jwk"),
      privateKeyDir: join(dir, "keys/private"),
    };
    await writeKeyPair(await generateRegistryKey(), keys);
    const database = `file:${join(dir, "data/mailreg.db")}`;
    const configPath = join(dir, "mailreg.config.json");
    await writeFile(
      configPath,
      JSON.stringify({
        database: { url: database },
        keys: { publicKeyFile: keys.publicKeyFile },
        server: { host: "127.0.0.1", port: 0 },
        registration: { enabled: true, templates: ["imap"], rateLimit: { max: 1_000_000, windowSeconds: 1 } },
        servers: [{ id: "imap", label: "IMAP", protocol: "imap", host: "imap.example.com", security: "tls" }],
        instances: [{ id: "main", label: "Main" }],
      }),
    );

    const acknowledged = new Map<string, string>(); // address → id ("" for the form)
    const figures = { kills: 0, sent: 0, acknowledged: 0, cut: 0, refused: 0, serverErrors: 0 };
    let n = 0;
    for (let k = 0; k < KILLS; k++) {
      const { child, url } = await startApp(configPath);
      let stop = false;
      const client = async (c: number) => {
        while (!stop) {
          const address = `crash-${k}-${c}-${++n}@example.com`;
          const form = n % 4 === 0;
          figures.sent++;
          try {
            const res = await fetch(`${url}${form ? "/register" : "/api/v1/registrations"}`, {
              method: "POST",
              redirect: "manual",
              headers: form
                ? { "content-type": "application/x-www-form-urlencoded", origin: url }
                : { "content-type": "application/json" },
              body: form
                ? new URLSearchParams({ address, password: "pw-crash", template: "imap" }).toString()
                : JSON.stringify({ address, password: "pw-crash", template: "imap" }),
            });
            const text = await res.text();
            if (res.status >= 500) figures.serverErrors++;
            if (!form && res.status === 201)
              acknowledged.set(address, (JSON.parse(text) as { id: string }).id);
            else if (form && res.status === 303 && res.headers.get("location") === "/register?done=1")
              acknowledged.set(address, "");
            else figures.refused++;
          } catch {
            figures.cut++; // the kill cut this request: its outcome is unknown to the sender
          }
        }
      };
      const burst = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      // let a few dozen submissions through, then kill it mid-burst
      const before = acknowledged.size;
      const target = before + 20 + Math.floor(Math.random() * 80);
      const deadline = Date.now() + 30_000;
      while (acknowledged.size < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // the clients send nothing new from here; the requests in flight are cut by the kill
      stop = true;
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      figures.kills++;
      await burst;
      expect(acknowledged.size, "the app acknowledged submissions before each kill").toBeGreaterThan(before);
    }

    const store = await openStore({ url: database });
    try {
      const stored = await allRegistrations(store);
      const byAddress = new Map(stored.map((r) => [r.address, r.id]));
      const missing = [...acknowledged].filter(([address, id]) => {
        const found = byAddress.get(address);
        return found === undefined || (id !== "" && found !== id);
      });
      figures.acknowledged = acknowledged.size;
      console.log(
        `registration app crash test: ${JSON.stringify({ ...figures, stored: stored.length, lostAcknowledged: missing.length })}`,
      );
      expect(missing).toEqual([]);
      expect(figures.serverErrors).toBe(0);
      expect(stored.length).toBeGreaterThanOrEqual(acknowledged.size);
      expect(stored.length).toBeLessThanOrEqual(acknowledged.size + figures.cut);
      expect(figures.cut).toBeLessThanOrEqual(KILLS * CLIENTS);
    } finally {
      store.close();
    }
  });
});
