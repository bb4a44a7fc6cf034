import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConnectionProfile, newId, type RegistrationRecord, writeRegistrationFile } from "@mailreg/core";
import { loadPublicKey, seal } from "@mailreg/crypto-registry";
import { attachDovecot, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { openStore } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { runCli } from "./testing.ts";

const repo = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * A fresh copy of the repository as a clone would have it (every file git tracks or would add, as it
 * is in the working tree, so uncommitted edits count; no build output, no data, no keys), with the
 * repository's node_modules (and its members' own) linked in as `npm install` would have made them.
 */
async function freshCopy(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "mailreg-deno-start-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repo,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    const from = join(repo, file);
    const info = await stat(from).catch(() => undefined); // deleted in the working tree
    if (info === undefined || !info.isFile()) continue;
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await copyFile(from, join(copy, file));
    await chmod(join(copy, file), info.mode);
  }
  await symlink(join(repo, "node_modules"), join(copy, "node_modules"), "dir");
  // a member's own node_modules (npm nests a dependency there when the root holds another version)
  for (const group of ["packages", "apps", "tools"]) {
    for (const member of await readdir(join(repo, group))) {
      const own = join(repo, group, member, "node_modules");
      if ((await stat(own).catch(() => undefined))?.isDirectory())
        await symlink(own, join(copy, group, member, "node_modules"), "dir");
    }
  }
  return copy;
}

/** How a user starts it: `deno task start` with npm's deno on PATH, or `npx deno task start`. */
type HowStarted = "deno task start" | "npx deno task start";

let dir: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await freshCopy();
});
afterEach(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(-child.pid, "SIGKILL"); // the whole group: npx, deno task and the deno it runs
    await exited;
  }
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the README's command in the fresh copy, exactly as typed there. Its deno comes from npm
 * (node_modules/.bin first on PATH, as after `npm install` with `npm bin` on PATH or inside an npm
 * script); no other deno is installed on this machine.
 */
function start(how: HowStarted): { output: () => string; base: Promise<string>; stop: () => Promise<void> } {
  const [command, ...args] = how.split(" ") as [string, ...string[]];
  const proc = spawn(command, args, {
    cwd: dir,
    detached: true, // its own process group, so that afterEach can end every process it started
    env: {
      ...process.env,
      PATH: `${join(dir, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
      MAILREG_SERVER__PORT: "0",
      NO_COLOR: "1",
    },
  });
  child = proc;
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  const base = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 40 s:\n${out}`)), 40_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${how}\` exited with ${code}:\n${out}`));
    });
    const poll = setInterval(() => {
      const m = /registration page: (http:\/\/\S+)\/register/.exec(out);
      if (m?.[1] !== undefined) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]);
      }
    }, 100);
    proc.once("exit", () => clearInterval(poll));
  });
  base.catch(() => undefined);
  return {
    output: () => out,
    base,
    // Ctrl-C in the terminal signals the whole foreground group (npm exec does not pass SIGTERM on
    // to what it runs); `deno task` itself passes SIGTERM on to the deno it started. Output is
    // complete once every process holding the pipes ("close", not "exit") has ended.
    stop: async () => {
      const closed = new Promise((resolve) => proc.once("close", resolve));
      if (how === "npx deno task start" && proc.pid !== undefined) process.kill(-proc.pid, "SIGINT");
      else proc.kill("SIGTERM");
      await closed;
    },
  };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("deno task start", () => {
  it.each<HowStarted>(["deno task start", "npx deno task start"])(
    "`%s` in a fresh clone initialises it, serves /register with Deno.serve and stops on a signal",
    async (how) => {
      // The README promises these permissions and no others.
      const task: string = JSON.parse(await readFile(join(dir, "deno.json"), "utf8")).tasks.start;
      expect(task.match(/--allow-\w+/g)?.sort()).toEqual([
        "--allow-env",
        "--allow-ffi",
        "--allow-net",
        "--allow-read",
        "--allow-sys",
        "--allow-write",
      ]);
      expect(task).not.toMatch(/\s(-A|--allow-all)\b/);
      const run = start(how);
      const base = await run.base;
      expect(run.output()).toContain("First admin credentials");
      expect(run.output()).toContain('"msg":"worker started"');
      const page = await fetch(`${base}/register`);
      expect(page.status).toBe(200);
      // A fresh config opens no registration window: the page says registration is closed.
      expect(await page.text()).toContain("Mailbox registration");
      await run.stop();
      expect(run.output()).toContain("stopped");
    },
    60_000,
  );

  it("takes a registration under Deno that Node applies, and its Deno worker collects Node- and Deno-sealed mailboxes from Dovecot", async () => {
    const dovecot = inject("mailservers").dovecot;
    const server = attachDovecot(dovecot);
    const seedTarget = { ...server, separator: dovecot.separator };
    const users = ["deno-app", "node-cli"].map((prefix) => {
      const user = `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const password = `pw-${user}`;
      server.addUser(user, password);
      return { user, password, address: `${user}@example.test` };
    });
    for (const [i, u] of users.entries()) {
      await seedMaildir(
        seedTarget,
        u.user,
        "INBOX",
        generateMessages({ count: 12, seed: 40 + i, maxSize: 4000 }),
      );
    }

    // mailreg init under Node, then a template for the test Dovecot and an open registration.
    const init = await runCli(["init", "--json"], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    const { apiToken } = init.json<{ credentials: { apiToken: string } }>().credentials;
    const configPath = join(dir, "mailreg.config.json");
    const config = JSON.parse(await readFile(configPath, "utf8"));
    config.servers = [
      {
        id: "dovecot",
        label: "Test Dovecot",
        protocol: "imap",
        host: dovecot.host,
        port: dovecot.imapPort,
        security: "starttls",
        // The test CA is not in Deno's trust store; certificate checking is covered by the Node suites.
        tls: { verify: false },
      },
    ];
    config.registration = { enabled: true, templates: ["dovecot"] };
    await writeFile(configPath, JSON.stringify(config, null, 2));

    const run = start("deno task start");
    const base = await run.base;

    // 1. Registered through the app running under Deno: sealed by Deno, opened by Node on apply.
    const [viaDeno, viaNode] = users as [(typeof users)[0], (typeof users)[0]];
    const submitted = await fetch(`${base}/api/v1/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        address: viaDeno.address,
        login: viaDeno.user,
        password: viaDeno.password,
        template: "dovecot",
      }),
    });
    expect(submitted.status).toBe(201);
    const { id: denoSealedId } = (await submitted.json()) as { id: string };
    const appliedDeno = await runCli(
      ["registrations", "apply", denoSealedId, "--instance", "default", "--json"],
      { cwd: dir },
    );
    expect(appliedDeno.code, appliedDeno.stderr).toBe(0);

    // 2. Sealed under Node (as a DMZ site's file would be), imported and applied under Node,
    //    opened by the worker under Deno when it collects.
    const publicKey = await loadPublicKey(join(dir, "keys/registry.public.jwk"));
    const id = newId();
    const profile: ConnectionProfile = {
      v: 1,
      address: viaNode.address,
      protocol: "imap",
      template: "dovecot",
      host: dovecot.host,
      port: dovecot.imapPort,
      security: "starttls",
      login: viaNode.user,
      auth: { method: "password", password: viaNode.password },
    };
    const record: RegistrationRecord = {
      id,
      receivedAt: new Date().toISOString(),
      address: viaNode.address,
      protocol: "imap",
      template: "dovecot",
      host: dovecot.host,
      port: dovecot.imapPort,
      security: "starttls",
      login: viaNode.user,
      authMethod: "password",
      status: "pending",
      keyId: publicKey.kid,
      sealed: await seal(profile, publicKey, { registrationId: id, address: viaNode.address }),
    };
    const file = join(dir, "node.jsonl");
    await writeFile(
      file,
      await new Response(writeRegistrationFile([record], { keyId: publicKey.kid })).text(),
    );
    expect((await runCli(["registrations", "import", file], { cwd: dir })).code).toBe(0);
    const appliedNode = await runCli(["registrations", "apply", id, "--instance", "default", "--json"], {
      cwd: dir,
    });
    expect(appliedNode.code, appliedNode.stderr).toBe(0);

    // "Sync now" through the admin API of the Deno app; the Deno worker collects both.
    const mailboxIds = [appliedDeno, appliedNode].map(
      (r) => r.json<{ mailbox: { id: string } }>().mailbox.id,
    );
    for (const mailboxId of mailboxIds) {
      const res = await fetch(`${base}/api/v1/admin/mailboxes/${mailboxId}/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiToken}` },
      });
      expect(res.status, await res.clone().text()).toBe(202);
    }
    const store = await openStore({ url: `file:${join(dir, "data/mailreg.db")}` });
    try {
      const counts = await until("the Deno worker to collect both mailboxes", async () => {
        const rows = await store.client.execute(
          "select mailbox_id, count(*) as n from messages group by mailbox_id order by mailbox_id",
        );
        const byId = Object.fromEntries(rows.rows.map((r) => [String(r.mailbox_id), Number(r.n)]));
        return mailboxIds.every((m) => byId[m] === 12) ? byId : undefined;
      });
      expect(Object.keys(counts).sort()).toEqual([...mailboxIds].sort());
    } finally {
      store.close();
    }
    expect(run.output()).not.toContain(viaDeno.password);
    expect(run.output()).not.toContain(viaNode.password);
    await run.stop();
  }, 90_000);
});
