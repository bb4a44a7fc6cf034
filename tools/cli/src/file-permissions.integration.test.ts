import { chmod, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@mailreg/core";
import { getSetting, openStore, setSetting } from "@mailreg/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-perms-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file and folder under `root` (itself included) with its permission bits. */
async function modes(root: string): Promise<{ path: string; mode: number }[]> {
  const out = [{ path: root, mode: (await stat(root)).mode & 0o777 }];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await modes(path)));
    else out.push({ path, mode: (await stat(path)).mode & 0o777 });
  }
  return out;
}

const b64url = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes).toString("base64url");

/** An HS256 admin session cookie value as the app issued them, signed with `key`. */
async function forgeSession(key: Uint8Array, user: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64url(JSON.stringify({ alg: "HS256" }))}.${b64url(
    JSON.stringify({ sid: "forged-session-id", ims: Date.now(), sub: user, iat: now, exp: now + 3600 }),
  )}`;
  const hmac = await crypto.subtle.importKey(
    "raw",
    Uint8Array.from(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `${head}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(head))))}`;
}

describe("files only the service reads", () => {
  it("a fresh init then start leaves nothing under data/ or keys/ that group or others can read", async () => {
    const r = await runCli(["start", "--port", "0"], {
      cwd: dir,
      untilStopped: async () => "SIGTERM",
    });
    expect(r.code, r.stderr).toBe(0);
    const found = [...(await modes(join(dir, "data"))), ...(await modes(join(dir, "keys")))];
    expect(found.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        join(dir, "data/mailreg.db"),
        join(dir, "data/mailreg.db-wal"),
        join(dir, "keys/admin-session.key"),
      ]),
    );
    // only the registry public key may be read by anyone (it is public by design)
    expect(found.filter((f) => (f.mode & 0o077) !== 0).map((f) => f.path)).toEqual([
      join(dir, "keys/registry.public.jwk"),
    ]);
    // nothing to tighten on a fresh folder: no log line about it
    expect(r.stdout).not.toContain("file permissions tightened");
  });

  it("an older installation is tightened at start with one log line, and its database key no longer signs admin sessions", async () => {
    expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
    const { config } = await loadConfig({ path: join(dir, "mailreg.config.json"), env: {} });
    // what an older version left: the session key in the settings table, files readable by all
    const oldKey = crypto.getRandomValues(new Uint8Array(32));
    const store = await openStore({ url: config.database.url });
    await setSetting(store, "admin.sessionKey", b64url(oldKey));
    store.close();
    await chmod(join(dir, "data"), 0o755);
    for (const f of await readdir(join(dir, "data"))) await chmod(join(dir, "data", f), 0o644);

    const user = config.admin.users[0]!.name;
    const cookie = `${config.admin.session.cookieName}=${await forgeSession(oldKey, user)}`;
    const seen: Record<string, number> = {};
    const r = await runCli(["start", "--port", "0"], {
      cwd: dir,
      untilStopped: async ({ stdout }) => {
        const base = /registration page: (http:\/\/\S+)\/register/.exec(stdout())![1]!;
        for (const path of ["/admin", "/api/v1/admin/registrations"]) {
          const res = await fetch(`${base}${path}`, { headers: { cookie }, redirect: "manual" });
          await res.body?.cancel();
          seen[path] = res.status;
        }
        // the same forgery with the key file's key is accepted: the cookie is made right, only the key is wrong
        const fileKey = Buffer.from((await readFile(config.keys.sessionKeyFile, "utf8")).trim(), "base64url");
        const good = `${config.admin.session.cookieName}=${await forgeSession(fileKey, user)}`;
        const res = await fetch(`${base}/api/v1/admin/registrations`, { headers: { cookie: good } });
        await res.body?.cancel();
        seen.withFileKey = res.status;
        return "SIGTERM";
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect([302, 303]).toContain(seen["/admin"]);
    expect(seen["/api/v1/admin/registrations"]).toBe(401);
    expect(seen.withFileKey).toBe(200);
    expect(r.stdout.split("\n").filter((l) => l.includes("file permissions tightened"))).toHaveLength(1);
    expect((await modes(join(dir, "data"))).filter((f) => (f.mode & 0o077) !== 0)).toEqual([]);
    const after = await openStore({ url: config.database.url });
    try {
      expect(await getSetting(after, "admin.sessionKey")).toBe("");
    } finally {
      after.close();
    }
  });
});
