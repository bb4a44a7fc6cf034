import { Resolver } from "node:dns/promises";
import { createServer, type Server, type Socket } from "node:net";
import { freePorts, type RebindingDns, startRebindingDns } from "@mailreg/mailservers";
import { listRegistrations } from "@mailreg/store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { imapSyncChecks } from "./mail-checks.ts";
import { call, createTestApp, TEST_ADMIN, type TestApp } from "./testing.ts";

let dns: RebindingDns;
let listener: Server;
let port: number;
let accepted = 0;
const sockets: Socket[] = [];
let t: TestApp | undefined;

beforeAll(async () => {
  dns = await startRebindingDns();
  [port] = (await freePorts(1)) as [number];
  listener = createServer((socket) => {
    accepted++;
    sockets.push(socket);
    socket.end("* OK ready\r\n");
  });
  await new Promise<void>((resolve) => listener.listen(port, "127.0.0.1", resolve));
});
afterEach(() => t?.close());
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => listener?.close(() => resolve()));
  await dns?.close();
});

async function appWith(verifyOnSubmit: boolean): Promise<TestApp> {
  const resolver = new Resolver();
  resolver.setServers([dns.server]);
  t = await createTestApp({
    config: {
      registration: {
        enabled: true,
        allowCustomServer: true,
        verifyOnSubmit,
        // the listener's port is allowed: only its address can be what the policy refuses
        allowedPorts: [port],
        dnsServers: [dns.server],
      },
    },
    deps: {
      ...imapSyncChecks(),
      verifyTimeoutMs: 3_000,
      resolveHost: async (name) => await resolver.resolve4(name),
    },
  });
  return t;
}

const submit = (app: TestApp, host: string) =>
  call(app.app, "POST", "/api/v1/registrations", {
    json: {
      address: "victim@example.org",
      password: "the-secret-password",
      server: { protocol: "imap", host, port, security: "tls" },
    },
  });

describe("DNS rebinding: a name answering a public address first and 127.0.0.1 after", () => {
  it("is refused on submit with verify-on-submit (the login goes to no second answer), storing nothing", async () => {
    const app = await appWith(true);
    const res = await submit(app, "submit.rebind.test");
    expect(res.status).toBe(422);
    expect(await listRegistrations(app.store)).toEqual([]);
    expect(dns.queries.filter((q) => q === "submit.rebind.test")).toHaveLength(2);
    expect(accepted).toBe(0);
    expect(JSON.stringify(app.logs)).not.toContain("the-secret-password");
  });

  it("is refused by the admin's check of the applied mailbox", async () => {
    const app = await appWith(false);
    const created = await submit(app, "check.rebind.test");
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const applied = await call(app.app, "POST", `/api/v1/admin/registrations/${id}/apply`, {
      token: TEST_ADMIN.token,
      json: { instance: "main" },
    });
    expect(applied.status).toBe(200);
    const { mailbox } = (await applied.json()) as { mailbox: { id: string } };
    const checked = await call(app.app, "POST", `/api/v1/admin/mailboxes/${mailbox.id}/check`, {
      token: TEST_ADMIN.token,
    });
    expect(checked.status).toBe(200);
    const result = (await checked.json()) as { ok: boolean; steps: { step: string; message?: string }[] };
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ step: "connect" });
    expect(result.steps[0]?.message).toMatch(/network policy does not allow/);
    expect(accepted).toBe(0);
  });
});
