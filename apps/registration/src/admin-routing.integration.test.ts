import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { newId } from "@mailreg/core";
import { sinksFromConfig } from "@mailreg/imap-sync";
import {
  acquireLease,
  commitMessageChunk,
  listAudit,
  listDeadLetters,
  listSyncRequests,
  takeRerouteRequest,
} from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp } from "./testing.ts";

const SECRET = "crm-hook-secret-5c1d";
const ENV = { CRM_HOOK_SECRET: SECRET };

let t: TestApp | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  t?.close();
  t = undefined;
  await closeReceiver?.();
  closeReceiver = undefined;
});

/** A real local webhook receiver: the subjects it accepted with a valid signature; `status` answers. */
async function receiver() {
  const got: { subject: string; signed: boolean }[] = [];
  const state = { status: 204 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const signed =
        req.headers["x-mailreg-signature"] ===
        `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}`;
      const body = JSON.parse(text) as { envelope: { subject: string } };
      if (state.status < 300) got.push({ subject: body.envelope.subject, signed });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closeReceiver = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, state };
}

/** An app whose instance `main` sends invoices to the webhook `crm` and nothing else anywhere. */
async function start(url: string, options: { withSinks?: boolean } = {}) {
  const sinks = { crm: { kind: "webhook" as const, url, secretEnv: "CRM_HOOK_SECRET", attempts: 1 } };
  const app = await createTestApp({
    config: {
      sinks,
      instances: [
        {
          id: "main",
          label: "Main",
          routing: { rules: [{ match: { subject: "invoice" }, sinks: ["crm"] }], default: [] },
        },
      ],
    },
    deps: options.withSinks === false ? {} : { sinks: sinksFromConfig(sinks, ENV) },
  });
  t = app;
  const res = await call(app.app, "POST", "/api/v1/registrations", {
    json: { address: "ann@example.com", password: "pw-123456" },
  });
  const { id } = (await res.json()) as { id: string };
  const applied = await call(app.app, "POST", `/api/v1/admin/registrations/${id}/apply`, {
    token: TEST_ADMIN.token,
  });
  const mailboxId = ((await applied.json()) as { mailbox: { id: string } }).mailbox.id;
  // two messages the worker stored before the rule existed (no sink reached yet)
  const encoder = new TextEncoder();
  await commitMessageChunk(app.store, {
    inserts: ["Invoice 4711", "Hello Ann"].map((subject, i) => ({
      id: newId(),
      mailboxId,
      folder: "INBOX",
      uidvalidity: 1,
      uid: i + 1,
      contentHash: String(i).repeat(64),
      size: 40,
      flags: [],
      envelope: { subject, from: [{ address: "shop@example.org" }] },
      raw: encoder.encode(`From: shop@example.org\r\nSubject: ${subject}\r\n\r\nbody\r\n`),
      storedAt: new Date().toISOString(),
    })),
  });
  return { app, mailboxId };
}

describe("routing actions in the admin", () => {
  it("POST …/mailboxes/{id}/reroute applies the rules to stored messages once: only the invoice reaches the webhook, signed; again, nothing more", async () => {
    const hook = await receiver();
    const { app, mailboxId } = await start(hook.url);
    const path = `/api/v1/admin/mailboxes/${mailboxId}/reroute`;
    expect((await call(app.app, "POST", path, { token: "not-the-token" })).status).toBe(401);

    const first = await call(app.app, "POST", path, { token: TEST_ADMIN.token });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      mailboxId,
      address: "ann@example.com",
      messages: 2,
      delivered: 1,
      failed: 0,
    });
    expect(hook.got).toEqual([{ subject: "Invoice 4711", signed: true }]);

    const second = await call(app.app, "POST", path, { token: TEST_ADMIN.token });
    expect(await second.json()).toMatchObject({ messages: 2, delivered: 0 });
    expect(hook.got).toHaveLength(1);
    const audit = (await listAudit(app.store, { subjectId: mailboxId })).filter(
      (a) => a.action === "mailbox.reroute",
    );
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(SECRET);

    const spec = (await (await call(app.app, "GET", "/api/v1/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/admin/mailboxes/{id}/reroute",
        "/api/v1/admin/dead-letters/{id}/retry",
      ]),
    );
  });

  it("the mailbox page's button re-runs the rules with the session's CSRF token, and a form without it changes nothing", async () => {
    const hook = await receiver();
    const { app, mailboxId } = await start(hook.url);
    const { cookie, csrf } = await signIn(app.app);
    const page = await (
      await call(app.app, "GET", `/admin/mailboxes/${mailboxId}?lang=en`, { cookie })
    ).text();
    expect(page).toContain(`formaction="/admin/mailboxes/${mailboxId}/reroute"`);
    expect(page).toContain("Re-run routing rules");

    const forged = await call(app.app, "POST", `/admin/mailboxes/${mailboxId}/reroute`, {
      cookie,
      form: { back: `/admin/mailboxes/${mailboxId}` },
    });
    expect(forged.status).toBe(403);
    expect(hook.got).toEqual([]);

    const res = await call(app.app, "POST", `/admin/mailboxes/${mailboxId}/reroute`, {
      cookie,
      form: { _csrf: csrf, back: `/admin/mailboxes/${mailboxId}` },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/admin/mailboxes/${mailboxId}`);
    expect(hook.got).toEqual([{ subject: "Invoice 4711", signed: true }]);
    const after = await (
      await call(app.app, "GET", `/admin/mailboxes/${mailboxId}?lang=en`, {
        cookie: [cookie, res.headers.get("set-cookie")?.split(";")[0]].filter(Boolean).join("; "),
      })
    ).text();
    expect(after).toContain("routing rules applied to 2 stored messages; 1 delivered now");
  });

  it("a delivery the webhook refused is a dead letter; Retry on the admin page delivers it once the receiver works and it leaves the list", async () => {
    const hook = await receiver();
    hook.state.status = 500;
    const { app, mailboxId } = await start(hook.url);
    const run = await call(app.app, "POST", `/api/v1/admin/mailboxes/${mailboxId}/reroute`, {
      token: TEST_ADMIN.token,
    });
    expect(await run.json()).toMatchObject({ delivered: 0, failed: 1 });
    const [letter] = await listDeadLetters(app.store, { mailboxId });
    expect(letter).toMatchObject({ sink: "crm", lastError: "HTTP 500" });

    const { cookie, csrf } = await signIn(app.app);
    const list = await (await call(app.app, "GET", "/admin/dead-letters?lang=en", { cookie })).text();
    expect(list).toContain(`action="/admin/dead-letters/${letter!.id}/retry"`);

    // still failing: it stays, with one more attempt
    const again = await call(app.app, "POST", `/admin/dead-letters/${letter!.id}/retry`, {
      cookie,
      form: { _csrf: csrf },
    });
    expect(again.status).toBe(303);
    expect((await listDeadLetters(app.store, { mailboxId }))[0]).toMatchObject({ attempts: 2 });

    hook.state.status = 204;
    expect(
      (await call(app.app, "POST", `/admin/dead-letters/${letter!.id}/retry`, { cookie, form: {} })).status,
    ).toBe(403);
    const ok = await call(app.app, "POST", `/admin/dead-letters/${letter!.id}/retry`, {
      cookie,
      form: { _csrf: csrf },
    });
    expect(ok.status).toBe(303);
    expect(hook.got).toEqual([{ subject: "Invoice 4711", signed: true }]);
    expect(await listDeadLetters(app.store, { mailboxId })).toEqual([]);
    const empty = await (await call(app.app, "GET", "/admin/dead-letters?lang=en", { cookie })).text();
    expect(empty).toContain("No dead letters");

    const gone = await call(app.app, "POST", `/api/v1/admin/dead-letters/${letter!.id}/retry`, {
      token: TEST_ADMIN.token,
    });
    expect(gone.status).toBe(404);
  });

  it("while a worker holds the mailbox, the re-run is handed to that worker (202) and nothing is delivered from here", async () => {
    const hook = await receiver();
    const { app, mailboxId } = await start(hook.url);
    await acquireLease(app.store, { mailboxId, owner: "worker-elsewhere", seconds: 60 });
    const res = await call(app.app, "POST", `/api/v1/admin/mailboxes/${mailboxId}/reroute`, {
      token: TEST_ADMIN.token,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ran: false, requested: true, mailboxId, address: "ann@example.com" });
    expect(hook.got).toEqual([]);
    // the worker holding it is woken with "sync now" and finds the request after its run
    expect((await listSyncRequests(app.store)).map((r) => r.mailboxId)).toEqual([mailboxId]);
    expect((await takeRerouteRequest(app.store, mailboxId))?.actor).toContain("test");
    expect(await takeRerouteRequest(app.store, mailboxId)).toBeUndefined();
  });

  it("without the webhook secret in its environment the app answers 503 and delivers nothing", async () => {
    const hook = await receiver();
    const { app, mailboxId } = await start(hook.url, { withSinks: false });
    const res = await call(app.app, "POST", `/api/v1/admin/mailboxes/${mailboxId}/reroute`, {
      token: TEST_ADMIN.token,
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("DEPENDENCY_MISSING");
    expect(hook.got).toEqual([]);
  });
});
