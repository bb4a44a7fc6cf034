import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, jsonLogger, loadConfig } from "@mailreg/core";
import { attachDovecot, generateMessages, readSpool, seedMaildir } from "@mailreg/mailservers";
import { type RunningServer, startRegistrationServer } from "@mailreg/registration/node";
import { enqueue } from "@mailreg/smtp-resolver";
import {
  countMessages,
  getOutboxMessage,
  listMailboxes,
  openStore,
  type Store,
  storeOutbox,
} from "@mailreg/store";
import { createWorker } from "@mailreg/worker";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runCli } from "./testing.ts";

// The security scan: a full run of mailreg with known passwords and tokens (init, register through
// the JSON API and the form, admin sign-in, apply, collect, send, export, and the error paths: a
// wrong mailbox password, a wrong admin password, a wrong token, a refused recipient, invalid
// submissions), with every log line, every HTTP response, every CLI output and error message
// captured. Then none of the secrets may appear in any of them, in any database column but the
// sealed ones, or in the exported registration file outside `sealed`. Also: the admin routes refuse
// without a session or token and with a signed-out session; CSRF and the rate limit hold; a
// public-key-only site cannot open a secret; the app refuses to start on a private key file others
// can read.

const servers = inject("mailservers");
const { dovecot, smtpSink } = servers;

const MAILBOX_PASSWORD = `Mbx-Pw-${Math.random().toString(36).slice(2, 10)}-Secret`;
const WRONG_MAILBOX_PASSWORD = `Wrong-Mbx-Pw-${Math.random().toString(36).slice(2, 10)}`;
const WRONG_ADMIN_PASSWORD = `Wrong-Admin-Pw-${Math.random().toString(36).slice(2, 10)}`;
const WRONG_TOKEN = `mrt_wrong-${Math.random().toString(36).slice(2, 12)}abcdefghijklmnop`;

let dir: string;
let server: RunningServer | undefined;
let store: Store | undefined;
afterAll(async () => {
  await server?.close();
  store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Everything the run showed anyone: where it came from, and the text. */
const seen: { where: string; text: string }[] = [];
const logLines: string[] = [];
const logger = jsonLogger((line) => logLines.push(line));

/** A request to the running app; the response (status, headers, body) is kept for the scan. */
async function http(
  method: string,
  path: string,
  options: {
    json?: unknown;
    form?: Record<string, string>;
    token?: string;
    cookie?: string;
    origin?: string;
  } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers = new Headers();
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    headers.set("origin", options.origin ?? server!.url);
    body = new URLSearchParams(options.form).toString();
  }
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  if (options.cookie !== undefined) headers.set("cookie", options.cookie);
  const res = await fetch(`${server!.url}${path}`, {
    method,
    headers,
    redirect: "manual",
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  const shown = [...res.headers].filter(([name]) => name !== "set-cookie").map(([n, v]) => `${n}: ${v}`);
  seen.push({ where: `HTTP ${method} ${path} → ${res.status}`, text: `${shown.join("\n")}\n\n${text}` });
  return { status: res.status, text, headers: res.headers };
}

/** Every text column of every row of every table, but the sealed ones. */
async function databaseText(db: Store): Promise<{ where: string; text: string }[]> {
  const tables = await db.client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
  const out: { where: string; text: string }[] = [];
  for (const { name } of tables.rows) {
    const rows = await db.client.execute(`SELECT * FROM "${String(name)}"`);
    for (const row of rows.rows) {
      for (const column of rows.columns) {
        if (column === "sealed") continue;
        const value = row[column];
        if (value === null || value === undefined) continue;
        const text =
          value instanceof ArrayBuffer || ArrayBuffer.isView(value)
            ? Buffer.from(value as ArrayBuffer).toString("latin1")
            : String(value);
        out.push({ where: `database ${String(name)}.${column}`, text });
      }
    }
  }
  return out;
}

describe("the security scan", () => {
  it("after a full run with known secrets, none of them is in a log, a response, an error, the database outside the sealed columns or the export outside sealed", {
    timeout: 180_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-security-"));
    // init prints the first admin credentials once, by design: that output is not scanned
    const init = await runCli(["init", "--json"], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    const { adminPassword, apiToken, adminUser } = init.json<{
      credentials: { adminPassword: string; apiToken: string; adminUser: string };
    }>().credentials;
    const configPath = join(dir, "mailreg.config.json");
    const raw = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    raw.servers = [
      {
        id: "dovecot",
        label: "Test Dovecot",
        protocol: "imap",
        host: dovecot.host,
        port: dovecot.imapPort,
        security: "starttls",
        tls: { verify: true, servername: dovecot.servername },
      },
    ];
    raw.registration = {
      enabled: true,
      templates: ["dovecot"],
      allowCustomServer: true,
      rateLimit: { windowSeconds: 600, max: 6 },
    };
    raw.instances = [
      {
        id: "default",
        label: "Default",
        smtp: {
          host: smtpSink.host,
          port: smtpSink.port,
          security: "starttls",
          tls: { verify: true, servername: dovecot.servername },
        },
      },
    ];
    await writeFile(configPath, JSON.stringify(raw, null, 2));
    const config: Config = (await loadConfig({ path: configPath, env: {} })).config;
    const privateFiles = await readdir(config.keys.privateKeyDir);
    const privateJwk = JSON.parse(
      await readFile(
        join(config.keys.privateKeyDir, privateFiles.find((f) => f.endsWith(".jwk")) ?? privateFiles[0]!),
        "utf8",
      ),
    ) as { d?: string };
    const privateD = privateJwk.d;
    expect(privateD, "the private key file holds the JWK (no passphrase)").toBeDefined();

    // the mailbox owners: one with the right password, one who typed a wrong one
    const owner = { user: `sec-${process.pid}-${Date.now()}`, password: MAILBOX_PASSWORD };
    const typo = { user: `sec-typo-${process.pid}-${Date.now()}`, password: `${MAILBOX_PASSWORD}-other` };
    const dove = attachDovecot(dovecot);
    dove.addUser(owner.user, owner.password);
    dove.addUser(typo.user, typo.password);
    await seedMaildir({ ...dove, separator: dovecot.separator }, owner.user, "INBOX", [
      ...generateMessages({ count: 5, seed: 808 }),
    ]);

    server = await startRegistrationServer({ config, port: 0, logger });
    const address = `${owner.user}@example.test`;
    const typoAddress = `${typo.user}@example.test`;

    // --- register: the JSON API, the form, and invalid submissions carrying the password ---------
    const created = await http("POST", "/api/v1/registrations", {
      json: { address, login: owner.user, password: MAILBOX_PASSWORD, template: "dovecot" },
    });
    expect(created.status, created.text).toBe(201);
    const viaForm = await http("POST", "/register", {
      form: { address: typoAddress, login: typo.user, password: WRONG_MAILBOX_PASSWORD, template: "dovecot" },
    });
    expect(viaForm.status, viaForm.text).toBe(303);
    for (const json of [
      { address: "not an address", password: MAILBOX_PASSWORD, template: "dovecot" },
      { address, password: MAILBOX_PASSWORD, template: "nope" },
      { address, password: `${MAILBOX_PASSWORD}\r\n`, template: "dovecot" },
    ]) {
      const res = await http("POST", "/api/v1/registrations", { json });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const badForm = await http("POST", "/register", {
      form: { address: "bad", password: MAILBOX_PASSWORD, template: "dovecot" },
    });
    expect(badForm.status).toBe(400);

    // --- the rate limit: 6 submissions per client in the window, the 7th refused, nothing stored --
    const limited = await http("POST", "/api/v1/registrations", {
      json: { address: "late@example.test", password: MAILBOX_PASSWORD, template: "dovecot" },
    });
    expect(limited.status).toBe(429);

    // --- admin: refused without credentials, with a wrong token, a wrong password ---------------
    expect((await http("GET", "/api/v1/admin/registrations")).status).toBe(401);
    expect((await http("GET", "/api/v1/admin/registrations", { token: WRONG_TOKEN })).status).toBe(401);
    expect((await http("GET", "/admin/registrations")).status).toBe(303);
    const wrongLogin = await http("POST", "/admin/login", {
      form: { user: adminUser, password: WRONG_ADMIN_PASSWORD },
    });
    expect(wrongLogin.status).toBe(401);
    const login = await http("POST", "/admin/login", { form: { user: adminUser, password: adminPassword } });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const sessionToken = cookie.split("=")[1]!;
    expect(sessionToken.length).toBeGreaterThan(16);
    const page = await http("GET", "/admin/window", { cookie });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(csrf).toBeDefined();
    // CSRF: a state-changing form without the token, or from another origin, is refused
    expect((await http("POST", "/admin/logout", { cookie, form: {} })).status).toBe(403);
    expect(
      (await http("POST", "/admin/logout", { cookie, form: { _csrf: csrf! }, origin: "https://evil.test" }))
        .status,
    ).toBe(403);
    // the session works for the API
    const listed = await http("GET", "/api/v1/admin/registrations?status=pending", { cookie });
    expect(listed.status).toBe(200);
    const pending = (JSON.parse(listed.text) as { registrations: { id: string; address: string }[] })
      .registrations;
    expect(pending.map((r) => r.address).sort()).toEqual([address, typoAddress].sort());

    // --- a public-key-only site cannot open a secret: applying there fails, nothing changes -------
    const dmz = await startRegistrationServer({ config, port: 0, logger, publicKeyOnly: true });
    try {
      const res = await fetch(`${dmz.url}/api/v1/admin/registrations/${pending[0]!.id}/apply`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
        body: JSON.stringify({ instance: "default" }),
      });
      const text = await res.text();
      seen.push({ where: "HTTP public-key-only apply", text });
      // a registration-only site has no admin at all: 404, whoever asks, with nothing changed
      expect(res.status, text).toBe(404);
      for (const path of ["/admin/login", "/admin/registrations", "/api/v1/admin/registration-window"]) {
        const other = await fetch(`${dmz.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
        await other.body?.cancel();
        expect(other.status, path).toBe(404);
      }
      expect((await fetch(`${dmz.url}/register`)).status).toBe(200);
    } finally {
      await dmz.close();
    }

    // --- apply both (token and session), then a signed-out session is refused ---------------------
    for (const r of pending) {
      const res = await http("POST", `/api/v1/admin/registrations/${r.id}/apply`, {
        token: apiToken,
        json: { instance: "default" },
      });
      expect(res.status, res.text).toBe(200);
    }
    expect((await http("POST", "/admin/logout", { cookie, form: { _csrf: csrf! } })).status).toBe(303);
    expect((await http("GET", "/api/v1/admin/registrations", { cookie })).status).toBe(401);
    expect((await http("GET", "/admin/registrations", { cookie })).status).toBe(303);
    // guessing admin passwords: after the sign-in limit, even the right password is refused
    const tries: number[] = [];
    for (let i = 0; i < 12; i++)
      tries.push(
        (await http("POST", "/admin/login", { form: { user: adminUser, password: WRONG_ADMIN_PASSWORD } }))
          .status,
      );
    expect(tries).toContain(429);
    expect(tries.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect(
      (await http("POST", "/admin/login", { form: { user: adminUser, password: adminPassword } })).status,
    ).toBe(429);

    // --- collect and send: the worker, with a refused recipient and a wrong password --------------
    store = await openStore({ url: config.database.url });
    const db = store;
    const mailboxes = await listMailboxes(db);
    const good = mailboxes.find((m) => m.address === address)!;
    const bad = mailboxes.find((m) => m.address === typoAddress)!;
    const to = `scan-${process.pid}-${Date.now()}@example.test`;
    const sent = await enqueue(storeOutbox(db), {
      mailboxId: good.id,
      message: { to, subject: "Scan", text: "hello" },
    });
    const refused = await enqueue(storeOutbox(db), {
      mailboxId: good.id,
      message: { to: "reject-550@example.test", subject: "Refused", text: "x" },
    });
    const worker = createWorker({
      config,
      store: db,
      keyring: server.context.keyring,
      ca: dovecot.caPem,
      logger,
      tickMs: 200,
      outboxMs: 200,
    });
    worker.start();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const done =
          (await countMessages(db, good.id)) === 5 &&
          (await getOutboxMessage(db, sent.id)).status === "sent" &&
          (await getOutboxMessage(db, refused.id)).status === "failed" &&
          (
            await db.client.execute({
              sql: "SELECT count(*) AS n FROM sync_runs WHERE mailbox_id = ? AND status = 'failed'",
              args: [bad.id],
            })
          ).rows[0]!.n !== 0;
        if (done) break;
        if (Date.now() > deadline) throw new Error("the run did not finish");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await worker.stop();
    }
    expect(readSpool(smtpSink.spoolDir).filter((m) => m.rcptTo.includes(to))).toHaveLength(1);

    // --- the CLI: list, sync with the wrong password, export ---------------------------------------
    const cli = async (argv: string[]) => {
      const r = await runCli([...argv, "--config", configPath], {
        cwd: dir,
        env: { USER: "tester", NODE_EXTRA_CA_CERTS: servers.caPath },
      });
      seen.push({ where: `CLI ${argv.join(" ")} (exit ${r.code})`, text: `${r.stdout}\n${r.stderr}` });
      return r;
    };
    expect((await cli(["registrations", "list", "--json"])).code).toBe(0);
    expect((await cli(["mailboxes", "list", "--json"])).code).toBe(0);
    expect((await cli(["mailboxes", "sync", typoAddress])).code).toBe(1);
    expect((await cli(["mailboxes", "check", typoAddress])).code).toBe(1);
    const exportPath = join(dir, "export.jsonl");
    expect((await cli(["registrations", "export", "--out", exportPath])).code).toBe(0);
    const exported = (await readFile(exportPath, "utf8")).trim().split("\n");
    expect(exported.length).toBe(3); // header and both registrations
    for (const [i, line] of exported.entries()) {
      const { sealed, ...clear } = JSON.parse(line) as Record<string, unknown>;
      if (i > 0) expect(typeof sealed).toBe("string");
      seen.push({ where: `export line ${i + 1} outside sealed`, text: JSON.stringify(clear) });
    }

    // --- the scan ------------------------------------------------------------------------------------
    const secrets: Record<string, string> = {
      "mailbox password": MAILBOX_PASSWORD,
      "wrong mailbox password": WRONG_MAILBOX_PASSWORD,
      "admin password": adminPassword,
      "wrong admin password": WRONG_ADMIN_PASSWORD,
      "API token": apiToken,
      "wrong API token": WRONG_TOKEN,
      "session token": sessionToken,
      ...(privateD === undefined ? {} : { "private key": privateD }),
    };
    for (const line of logLines) seen.push({ where: "log", text: line });
    seen.push(...(await databaseText(db)));
    const findLeaks = (texts: { where: string; text: string }[]) => {
      const found: string[] = [];
      for (const { where, text } of texts)
        for (const [name, secret] of Object.entries(secrets)) {
          const at = text.indexOf(secret);
          if (at >= 0)
            found.push(`${name} in ${where}: …${text.slice(Math.max(0, at - 80), at + secret.length + 20)}…`);
        }
      return found;
    };
    // the scanner finds a secret where one is (a canary), so finding none below means something
    expect(
      findLeaks([{ where: "canary", text: `{"msg":"x","password":"${MAILBOX_PASSWORD}"}` }]),
    ).toHaveLength(1);
    const leaks = findLeaks(seen);
    console.log(
      `security scan: ${Object.keys(secrets).length} secrets searched in ${seen.length} texts (${logLines.length} log lines, ${seen.filter((s) => s.where.startsWith("HTTP")).length} HTTP responses, ${seen.filter((s) => s.where.startsWith("database")).length} database values, ${exported.length} export lines); leaks: ${leaks.length}`,
    );
    expect(leaks).toEqual([]);
    // the scan looked where the secrets would have been: the wrong password's failure is on record
    const failure = await db.client.execute({
      sql: "SELECT error_code FROM sync_runs WHERE mailbox_id = ? AND status = 'failed'",
      args: [bad.id],
    });
    expect(failure.rows.map((r) => r.error_code)).toContain("MAIL_AUTH_FAILED");
    expect(logLines.some((l) => l.includes("admin sign-in refused"))).toBe(true);
  });

  it("refuses to start the app when a private key file can be read by others, and says which file", async () => {
    const folder = await mkdtemp(join(tmpdir(), "mailreg-keymode-"));
    try {
      expect((await runCli(["init", "--json"], { cwd: folder })).code).toBe(0);
      const privateDir = join(folder, "keys/private");
      const [file] = await readdir(privateDir);
      const { mode } = await import("node:fs/promises").then((fs) => fs.stat(join(privateDir, file!)));
      expect((mode & 0o777).toString(8)).toBe("600");
      await chmod(join(privateDir, file!), 0o644);
      const serve = await runCli(["serve", "--port", "0"], { cwd: folder });
      expect(serve.code).toBe(1);
      expect(serve.stderr).toMatch(/KEY_FILE_PERMISSIONS|readable by|permissions/i);
      expect(serve.stderr).toContain(file!);
      const worker = await runCli(["worker"], { cwd: folder });
      expect(worker.code).toBe(1);
      // the public-key-only site does not read the private key at all
      const dmz = await runCli(["serve", "--port", "0", "--public-key-only"], { cwd: folder });
      expect(dmz.code, dmz.stderr).toBe(0);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
