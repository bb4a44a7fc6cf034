import { getMailbox, listAudit, listMailboxes, schema, writeTransaction } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "./api/meta-api.tsx";
import type { VerifyLogin } from "./deps.ts";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp, type TestAppOptions } from "./testing.ts";

let t: TestApp;
const start = async (options: TestAppOptions = {}) => {
  t = await createTestApp(options);
  return t;
};
afterEach(() => t?.close());

const token = TEST_ADMIN.token;
const admin = (method: string, path: string, json?: unknown) =>
  call(t.app, method, path, { token, ...(json === undefined ? {} : { json }) });
const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const register = async (address: string, password = "pw-123456") => {
  const res = await call(t.app, "POST", "/api/v1/registrations", { json: { address, password } });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
};

describe("admin API authentication", () => {
  it("answers 401 on every admin route without credentials or with a wrong token", async () => {
    await start();
    const doc = openApiDocument(t.app);
    const operations = Object.entries(doc.paths ?? {})
      .filter(([path]) => path.startsWith("/api/v1/admin/"))
      .flatMap(([path, item]) =>
        ["get", "put", "post", "delete"].filter((m) => m in (item as object)).map((m) => [m, path] as const),
      );
    expect(operations.length).toBeGreaterThanOrEqual(12);
    for (const [method, path] of operations) {
      const url = path.replace("{id}", "01935f6e-7c1e-7000-8000-000000000001");
      const anonymous = await call(t.app, method.toUpperCase(), url, method === "get" ? {} : { json: {} });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
      expect((await json<{ error: { code: string } }>(anonymous)).error.code).toBe("UNAUTHENTICATED");
      const wrong = await call(t.app, method.toUpperCase(), url, {
        token: "mrt_wrong",
        ...(method === "get" ? {} : { json: {} }),
      });
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401);
    }
  });

  it("accepts an admin session cookie as well as a token", async () => {
    await start();
    const { cookie } = await signIn(t.app);
    expect((await call(t.app, "GET", "/api/v1/admin/registrations", { cookie })).status).toBe(200);
    expect((await admin("GET", "/api/v1/admin/registrations")).status).toBe(200);
  });
});

describe("registration window API", () => {
  it("opens, closes and schedules, each change audited", async () => {
    await start();
    const initial = await json<{ open: boolean; mode: string }>(
      await admin("GET", "/api/v1/admin/registration-window"),
    );
    expect(initial).toMatchObject({ open: true, mode: "open", enabled: true, nextOpen: null });

    const closed = await admin("PUT", "/api/v1/admin/registration-window", { open: false });
    expect(await json(closed)).toMatchObject({ open: false, mode: "closed" });
    expect(
      (
        await call(t.app, "POST", "/api/v1/registrations", {
          json: { address: "a@example.com", password: "x" },
        })
      ).status,
    ).toBe(403);

    const from = new Date(Date.now() + 3_600_000).toISOString();
    const until = new Date(Date.now() + 7_200_000).toISOString();
    const scheduled = await admin("PUT", "/api/v1/admin/registration-window", { windows: [{ from, until }] });
    expect(await json(scheduled)).toMatchObject({
      open: false,
      mode: "scheduled",
      windows: [{ from, until }],
      nextOpen: from,
    });

    const now = new Date(Date.now() - 60_000).toISOString();
    await admin("PUT", "/api/v1/admin/registration-window", { windows: [{ from: now, until }] });
    expect(await json(await admin("GET", "/api/v1/admin/registration-window"))).toMatchObject({ open: true });

    const actions = (await listAudit(t.store)).map((e) => [e.actor, e.action]);
    expect(actions).toEqual([
      ["token:test", "registration-window.close"],
      ["token:test", "registration-window.replace"],
      ["token:test", "registration-window.replace"],
    ]);
  });

  it("refuses a window that ends before it starts, and changes nothing", async () => {
    await start();
    const res = await admin("PUT", "/api/v1/admin/registration-window", {
      windows: [{ from: "2026-12-02T10:00:00Z", until: "2026-12-01T10:00:00Z" }],
    });
    expect(res.status).toBe(400);
    expect(Object.keys((await json<{ error: { fields: object } }>(res)).error.fields)).toEqual([
      "windows.0.until",
    ]);
    expect(await listAudit(t.store)).toEqual([]);
  });
});

describe("registrations API", () => {
  it("lists by status and search text, newest first, in pages", async () => {
    await start();
    const ids = [
      await register("ann@example.com"),
      await register("bob@example.org"),
      await register("cat@example.org"),
    ];
    const page = await json<{ registrations: Array<{ id: string }>; next: string | null }>(
      await admin("GET", "/api/v1/admin/registrations?status=pending&q=example.org&limit=1"),
    );
    expect(page.registrations.map((r) => r.id)).toEqual([ids[2]]);
    const rest = await json<{ registrations: Array<{ id: string }>; next: string | null }>(
      await admin(
        "GET",
        `/api/v1/admin/registrations?status=pending&q=example.org&limit=1&before=${page.next}`,
      ),
    );
    expect(rest.registrations.map((r) => r.id)).toEqual([ids[1]]);
    expect((await admin("GET", "/api/v1/admin/registrations?status=bogus")).status).toBe(400);
  });

  it("shows one registration, 404 for an unknown id", async () => {
    await start();
    const id = await register("ann@example.com");
    expect(await json(await admin("GET", `/api/v1/admin/registrations/${id}`))).toMatchObject({
      id,
      address: "ann@example.com",
    });
    const missing = await admin("GET", "/api/v1/admin/registrations/01935f6e-7c1e-7000-8000-000000000001");
    expect(missing.status).toBe(404);
    expect((await json<{ error: { code: string } }>(missing)).error.code).toBe("NOT_FOUND");
  });

  it("applies into an instance; the same address again answers 409 with what would change, and replaces only when told to", async () => {
    await start();
    const first = await register("ann@example.com", "first-password");
    const applied = await admin("POST", `/api/v1/admin/registrations/${first}/apply`, { instance: "main" });
    expect(applied.status).toBe(200);
    const a = await json<{
      created: boolean;
      mailbox: { id: string; sealed?: string };
      registration: { status: string };
    }>(applied);
    expect(a).toMatchObject({ created: true, registration: { status: "applied" } });
    expect(a.mailbox.sealed).toBeUndefined();

    const second = await register("ann@example.com", "second-password");
    const conflict = await admin("POST", `/api/v1/admin/registrations/${second}/apply`);
    expect(conflict.status).toBe(409);
    const body = await conflict.text();
    expect(JSON.parse(body)).toMatchObject({
      error: { code: "CONFLICT", details: { mailboxId: a.mailbox.id, changes: [{ field: "secret" }] } },
    });
    expect(body).not.toContain("password");
    expect((await getMailbox(t.store, a.mailbox.id)).registrationId).toBe(first);
    const b = await json<{ created: boolean; mailbox: { id: string } }>(
      await admin("POST", `/api/v1/admin/registrations/${second}/apply`, { replace: true }),
    );
    expect(b).toMatchObject({ created: false, mailbox: { id: a.mailbox.id } });
    expect(await listMailboxes(t.store)).toHaveLength(1);
    expect((await getMailbox(t.store, a.mailbox.id)).registrationId).toBe(second);

    const again = await admin("POST", `/api/v1/admin/registrations/${second}/apply`);
    expect(again.status).toBe(409);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe("REGISTRATION_NOT_PENDING");
  });

  it("refuses an unknown instance (422) and a missing one when there are several (400)", async () => {
    await start({
      config: {
        instances: [
          { id: "main", label: "Main" },
          { id: "sales", label: "Sales" },
        ],
      },
    });
    const id = await register("ann@example.com");
    const unknown = await admin("POST", `/api/v1/admin/registrations/${id}/apply`, { instance: "nope" });
    expect(unknown.status).toBe(422);
    expect((await json<{ error: { code: string } }>(unknown)).error.code).toBe("INSTANCE_UNKNOWN");
    const missing = await admin("POST", `/api/v1/admin/registrations/${id}/apply`, {});
    expect(missing.status).toBe(400);
    expect((await json<{ error: { fields: object } }>(missing)).error.fields).toMatchObject({
      instance: { code: "required" },
    });
    expect(await listMailboxes(t.store)).toEqual([]);
  });

  it("cannot apply holding only the public key, and says so", async () => {
    await start({ publicOnly: true });
    const id = await register("ann@example.com");
    const res = await admin("POST", `/api/v1/admin/registrations/${id}/apply`, { instance: "main" });
    expect(res.status).toBe(503);
    const { error } = await json<{ error: { code: string; message: string } }>(res);
    expect(error.code).toBe("SEAL_NO_PRIVATE_KEY");
    expect(error.message).toContain("public key");
    expect(await listMailboxes(t.store)).toEqual([]);
  });

  it("rejects: the registration leaves the pending list and makes no mailbox", async () => {
    await start();
    const id = await register("ann@example.com");
    const res = await admin("POST", `/api/v1/admin/registrations/${id}/reject`, { reason: "not ours" });
    expect(await json(res)).toMatchObject({
      status: "rejected",
      decision: { by: "token:test", reason: "not ours" },
    });
    const pending = await json<{ registrations: unknown[] }>(
      await admin("GET", "/api/v1/admin/registrations?status=pending"),
    );
    expect(pending.registrations).toEqual([]);
    expect(await listMailboxes(t.store)).toEqual([]);
    expect((await admin("POST", `/api/v1/admin/registrations/${id}/reject`)).status).toBe(409);
    expect(
      (await admin("POST", "/api/v1/admin/registrations/01935f6e-7c1e-7000-8000-000000000001/reject")).status,
    ).toBe(404);
  });
});

describe("mailboxes API", () => {
  const applyOne = async (address: string) => {
    const id = await register(address, "mailbox-password");
    return (
      await json<{ mailbox: { id: string } }>(await admin("POST", `/api/v1/admin/registrations/${id}/apply`))
    ).mailbox.id;
  };

  it("lists and shows mailboxes with their sync state", async () => {
    await start();
    const id = await applyOne("ann@example.com");
    await writeTransaction(t.store, (tx) =>
      tx
        .insert(schema.syncRuns)
        .values({
          id: "r1",
          mailboxId: id,
          startedAt: "2026-11-25T10:00:00.000Z",
          status: "failed",
          errorCode: "MAIL_AUTH_FAILED",
          errorMessage: "refused",
        })
        .run(),
    );
    const list = await json<{ mailboxes: Array<{ id: string; sync: object; sealed?: string }> }>(
      await admin("GET", "/api/v1/admin/mailboxes"),
    );
    expect(list.mailboxes).toHaveLength(1);
    expect(list.mailboxes[0]?.sealed).toBeUndefined();
    expect(await json(await admin("GET", `/api/v1/admin/mailboxes/${id}`))).toMatchObject({
      id,
      address: "ann@example.com",
      sync: { messages: 0, lastRun: { status: "failed" }, lastError: { errorCode: "MAIL_AUTH_FAILED" } },
      state: {
        status: "failed",
        consecutiveFailures: 1,
        lastError: { code: "MAIL_AUTH_FAILED", message: "refused" },
        next: { reason: "backoff" },
      },
    });
    expect((await admin("GET", "/api/v1/admin/mailboxes/nope")).status).toBe(404);
  });

  it("checks a mailbox by logging in with its sealed credentials, audited", async () => {
    const logins: string[] = [];
    const verifyLogin: VerifyLogin = async (profile) => {
      logins.push(`${profile.login}:${profile.auth.method === "password" ? profile.auth.password : ""}`);
      return profile.auth.method === "password" && profile.auth.password === "mailbox-password"
        ? { ok: true }
        : { ok: false, reason: "auth", message: "refused" };
    };
    await start({ deps: { verifyLogin } });
    const id = await applyOne("ann@example.com");
    const res = await admin("POST", `/api/v1/admin/mailboxes/${id}/check`);
    expect(await json(res)).toMatchObject({ ok: true, steps: [{ step: "login", ok: true }] });
    expect(logins).toEqual(["ann@example.com:mailbox-password"]);
    expect((await listAudit(t.store)).at(-1)).toMatchObject({
      action: "mailbox.check",
      subjectId: id,
      details: { ok: true },
    });
  });

  it("answers 503 for check without a login check and for sync without a worker; sync with one is 202", async () => {
    await start();
    const id = await applyOne("ann@example.com");
    expect((await admin("POST", `/api/v1/admin/mailboxes/${id}/check`)).status).toBe(503);
    const sync = await admin("POST", `/api/v1/admin/mailboxes/${id}/sync`);
    expect(sync.status).toBe(503);
    expect((await json<{ error: { code: string } }>(sync)).error.code).toBe("DEPENDENCY_MISSING");
    t.close();
    const asked: string[] = [];
    await start({ deps: { requestSync: async (mailboxId) => void asked.push(mailboxId) } });
    const id2 = await applyOne("bob@example.com");
    const ok = await admin("POST", `/api/v1/admin/mailboxes/${id2}/sync`);
    expect(ok.status).toBe(202);
    expect(asked).toEqual([id2]);
  });
});

describe("audit and SMTP API", () => {
  it("lists the audit log newest first, in pages", async () => {
    await start();
    for (const open of [false, true, false])
      await admin("PUT", "/api/v1/admin/registration-window", { open });
    const page = await json<{ entries: Array<{ action: string }>; next: number | null }>(
      await admin("GET", "/api/v1/admin/audit?limit=2"),
    );
    expect(page.entries.map((e) => e.action)).toEqual([
      "registration-window.close",
      "registration-window.open",
    ]);
    const rest = await json<{ entries: Array<{ action: string }> }>(
      await admin("GET", `/api/v1/admin/audit?before=${page.next}`),
    );
    expect(rest.entries.map((e) => e.action)).toEqual(["registration-window.close"]);
  });

  it("answers SMTP resolution with 503 when no resolver is wired, and 400 for a bad address (prepare.test.ts: the real one)", async () => {
    await start();
    const res = await admin("GET", "/api/v1/admin/smtp/resolve?address=ann@example.com");
    expect(res.status).toBe(503);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("DEPENDENCY_MISSING");
    expect((await admin("GET", "/api/v1/admin/smtp/resolve?address=nope")).status).toBe(400);
  });

  it("counts received, applied and rejected registrations in /metrics", async () => {
    await start();
    const a = await register("ann@example.com");
    const b = await register("bob@example.com");
    await admin("POST", `/api/v1/admin/registrations/${a}/apply`);
    await admin("POST", `/api/v1/admin/registrations/${b}/reject`);
    await call(t.app, "POST", "/api/v1/registrations", { json: { address: "x", password: "" } });
    const anonymous = await call(t.app, "GET", "/metrics");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("mailreg_");
    expect((await call(t.app, "GET", "/metrics", { token: "mrt_wrong" })).status).toBe(401);
    const text = await (await admin("GET", "/metrics")).text();
    expect(text).toContain("mailreg_registrations_received_total 2");
    expect(text).toContain("mailreg_registrations_applied_total 1");
    expect(text).toContain("mailreg_registrations_rejected_total 1");
    expect(text).toContain('mailreg_registrations_refused_total{reason="VALIDATION"} 1');
    expect(text).toContain("mailreg_registration_window_open 1");
    expect(text).toMatch(
      /mailreg_http_requests_total\{method="POST",route="\/api\/v1\/registrations",status="201"\} 2/,
    );
  });
});
