import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConfigInput, hashPassword, hashToken, jsonLogger } from "@mailreg/core";
import { sampleConfig } from "@mailreg/core/testing";
import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
import { finishSyncRun, listSyncRequests, startSyncRun } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { type PreparedApp, prepareApp } from "./prepare.ts";
import { call, signIn, TEST_ADMIN } from "./testing.ts";

const MAILBOX_PASSWORD = "mailbox-pw-7f3e";
const LEVEL_PASSWORD = "relay-level-secret-41c9";

let app: PreparedApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  app?.store.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  app = undefined;
  dir = undefined;
});

/**
 * What `mailreg serve` runs: prepareApp on a folder of its own (keys, database file), with no
 * `requestSync` or `resolveSmtp` given. Two instances; the template's SMTP counterpart is switched
 * off and the instance `main` sends through a relay whose certificate is not checked.
 */
async function serve(overrides: ConfigInput = {}): Promise<PreparedApp> {
  dir = await mkdtemp(join(tmpdir(), "mailreg-prepare-"));
  const keys = { publicKeyFile: join(dir, "keys/public.jwk"), privateKeyDir: join(dir, "keys/private") };
  await writeKeyPair(await generateRegistryKey(), keys);
  const config = sampleConfig({
    database: { url: `file:${join(dir, "mailreg.db")}` },
    keys,
    admin: {
      users: [{ name: TEST_ADMIN.user, passwordHash: await hashPassword(TEST_ADMIN.password) }],
      tokens: [{ name: "test", hash: await hashToken(TEST_ADMIN.token) }],
    },
    servers: [
      { ...sampleConfig().servers[0]!, smtp: { enabled: false, host: "smtp.example.com", port: 587 } },
    ],
    instances: [
      {
        id: "main",
        label: "Main",
        smtp: {
          host: "relay.corp.example",
          port: 587,
          tls: { verify: false },
          auth: { method: "plain", user: "relay", password: LEVEL_PASSWORD },
        },
      },
      { id: "archive", label: "Archive" },
    ],
    smtp: { default: { host: "smtp.fallback.example", port: 25 } },
    ...overrides,
  });
  app = await prepareApp({ config, logger: jsonLogger(() => {}) });
  return app;
}

const admin = (method: string, path: string, json?: unknown) =>
  call(app!.app, method, path, { token: TEST_ADMIN.token, ...(json === undefined ? {} : { json }) });

/** Registers an address and applies it to an instance, as the owner and the admin would. */
async function mailbox(address: string, instance = "main"): Promise<string> {
  const res = await call(app!.app, "POST", "/api/v1/registrations", {
    json: { address, password: MAILBOX_PASSWORD },
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const applied = await admin("POST", `/api/v1/admin/registrations/${id}/apply`, { instance });
  expect(applied.status).toBe(200);
  return ((await applied.json()) as { mailbox: { id: string } }).mailbox.id;
}

describe("prepareApp wires the admin's sync now and SMTP resolution", () => {
  it("sync now is recorded in the store for any worker process to pick up, and the mailbox shows it as next", async () => {
    await serve();
    const id = await mailbox("ann@example.com");
    const res = await admin("POST", `/api/v1/admin/mailboxes/${id}/sync`);
    expect(res.status).toBe(202);
    const [request] = await listSyncRequests(app!.store);
    expect(request).toMatchObject({ mailboxId: id, actor: expect.stringContaining("test") });
    const detail = (await (await admin("GET", `/api/v1/admin/mailboxes/${id}`)).json()) as {
      state: { status: string; next: { at: string; reason: string }; requestedAt: string };
    };
    expect(detail.state).toMatchObject({ status: "never", next: { reason: "requested" } });
    expect(detail.state.next.at).toBe(request!.requestedAt);
  });

  it("the mailbox API shows the last run, its status and fetched count, the last error, and when it runs next and why", async () => {
    const { store } = await serve();
    const id = await mailbox("ann@example.com");
    const errorMessage = "imap.example.com refused the login of ann@example.com";
    const failedRun = {
      status: "failed",
      fetched: 0,
      deleted: 0,
      errorCode: "MAIL_AUTH_FAILED",
      errorMessage,
    } as const;
    await finishSyncRun(store, await startSyncRun(store, id), failedRun);
    const ok = await startSyncRun(store, id);
    await finishSyncRun(store, ok, { status: "ok", fetched: 7, deleted: 0 });
    const detail = (await (await admin("GET", `/api/v1/admin/mailboxes/${id}`)).json()) as {
      sync: { messages: number };
      state: {
        status: string;
        fetched: number;
        lastRun: { id: string; finishedAt: string };
        lastError: { code: string; message: string };
        next: { at: string; reason: string };
        intervalSeconds: number;
      };
    };
    expect(detail.state).toMatchObject({
      status: "ok",
      fetched: 7,
      lastRun: { id: ok },
      lastError: { code: "MAIL_AUTH_FAILED", message: expect.stringContaining("refused the login") },
      next: { reason: "interval" },
      intervalSeconds: 300, // the instance's schedule
    });
    const pause = Date.parse(detail.state.next.at) - Date.parse(detail.state.lastRun.finishedAt);
    expect(pause).toBeGreaterThanOrEqual(300_000);
    expect(pause).toBeLessThanOrEqual(330_000);
  });

  it("Ann@ and ann@ are one mailbox: applying ann@ needs the replace confirmation, and resolve finds Ann@ by ANN@", async () => {
    await serve();
    const id = await mailbox("Ann@example.com");
    const res = await call(app!.app, "POST", "/api/v1/registrations", {
      json: { address: "ann@example.com", password: MAILBOX_PASSWORD },
    });
    expect(res.status).toBe(201);
    const second = ((await res.json()) as { id: string }).id;
    const refused = await admin("POST", `/api/v1/admin/registrations/${second}/apply`, { instance: "main" });
    expect(refused.status).toBe(409);
    const resolved = await admin("GET", "/api/v1/admin/smtp/resolve?address=ANN@example.com");
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      address: "Ann@example.com",
      mailbox: id,
      instance: "main",
    });
  });

  it("resolve says which level won and why each earlier one was passed over, with a danger warning and no password", async () => {
    await serve();
    await mailbox("ann@example.com");
    const res = await admin("GET", "/api/v1/admin/smtp/resolve?address=ann@EXAMPLE.com");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      address: "ann@example.com",
      instance: "main",
      resolved: true,
      level: "instance",
      source: "instance:main",
      effective: {
        host: "relay.corp.example",
        port: 587,
        security: "starttls",
        tls: { verify: false },
        auth: { method: "plain", user: "relay", credentials: "level" },
      },
      passedOver: [
        { level: "mailbox", source: "template:example-imap", reason: "disabled" },
        { level: "company", source: "company", reason: "not-set" },
      ],
    });
    expect(body.warnings).toContainEqual(
      expect.objectContaining({ code: "tls-verify-off", severity: "danger" }),
    );
    const text = JSON.stringify(body);
    expect(text).not.toContain(LEVEL_PASSWORD);
    expect(text).not.toContain(MAILBOX_PASSWORD);
  });

  it("resolve answers 404 for an address without a mailbox, 409 for one in two instances until an instance is named", async () => {
    await serve();
    await mailbox("ann@example.com", "main");
    await mailbox("ann@example.com", "archive");
    const missing = await admin("GET", "/api/v1/admin/smtp/resolve?address=nobody@example.com");
    expect(missing.status).toBe(404);
    const twice = await admin("GET", "/api/v1/admin/smtp/resolve?address=ann@example.com");
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { error: { message: string } }).error.message).toMatch(
      /several instances \((archive, main|main, archive)\)/,
    );
    const named = await admin("GET", "/api/v1/admin/smtp/resolve?address=ann@example.com&instance=archive");
    expect(await named.json()).toMatchObject({ instance: "archive", level: "default", source: "default" });
  });

  it("the mailbox page shows the collection state and the SMTP resolution, the danger warning loud", async () => {
    await serve();
    const id = await mailbox("ann@example.com");
    await admin("POST", `/api/v1/admin/mailboxes/${id}/sync`);
    const { cookie } = await signIn(app!.app);
    const list = await (await call(app!.app, "GET", "/admin/mailboxes", { cookie })).text();
    expect(list).toContain(`href="/admin/mailboxes/${id}"`);
    const res = await call(app!.app, "GET", `/admin/mailboxes/${id}`, { cookie });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("<h1>ann@example.com</h1>");
    expect(page).toMatch(/Next run<\/th>\s*<td>[^<]*\d{2}:\d{2}[^<]*<span class="muted">\(requested\)/);
    expect(page).toMatch(
      /<p class="notice error" role="alert" data-warning="tls-verify-off"><strong>DANGER:<\/strong>/,
    );
    expect(page).toContain("Sent through relay.corp.example:587: level instance, from instance:main");
    expect(page).toContain("CERTIFICATE NOT CHECKED");
    expect(page).toMatch(
      /mailbox <span class="muted">\(template:example-imap\)<\/span><\/td><td><code>disabled/,
    );
    expect(page).not.toContain(LEVEL_PASSWORD);
    expect((await call(app!.app, "GET", "/admin/mailboxes/nope", { cookie })).status).toBe(404);
  });
});
