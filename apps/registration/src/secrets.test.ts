import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

const PASSWORD = "Unmistakable-Pa55word-4e7b";

describe("the mailbox password", () => {
  it("appears in no response, no log line and no stored clear field", async () => {
    t = await createTestApp({
      config: { registration: { enabled: true, templates: ["example-imap"], verifyOnSubmit: true } },
      deps: {
        verifyLogin: async (profile) =>
          profile.address.startsWith("refused")
            ? { ok: false, reason: "auth", message: `The server refused the login of ${profile.login}` }
            : { ok: true },
      },
    });
    const seen: string[] = [];
    const keep = async (res: Response) => {
      seen.push(`${res.status} ${[...res.headers].join(" ")}\n${await res.text()}`);
    };
    const body = { address: "ann@example.com", password: PASSWORD, template: "example-imap" };
    await keep(await call(t.app, "POST", "/api/v1/registrations", { json: body }));
    await keep(
      await call(t.app, "POST", "/api/v1/registrations", {
        json: { ...body, address: "refused@example.com" },
      }),
    );
    await keep(
      await call(t.app, "POST", "/api/v1/registrations", { json: { ...body, address: "bad address" } }),
    );
    await keep(await call(t.app, "POST", "/api/v1/registrations", { json: { ...body, displayName: "x\n" } }));
    await keep(await call(t.app, "POST", "/register", { form: { ...body, address: "bob@example.com" } }));
    await keep(await call(t.app, "POST", "/register", { form: { ...body, address: "refused@example.com" } }));
    await keep(await call(t.app, "POST", "/register", { form: { ...body, address: "nope" } }));
    await keep(await call(t.app, "POST", "/register", { form: body, origin: "https://evil.example" }));
    const { cookie } = await signIn(t.app);
    const list = await call(t.app, "GET", "/api/v1/admin/registrations", { token: TEST_ADMIN.token });
    const { registrations } = (await list.clone().json()) as { registrations: Array<{ id: string }> };
    await keep(list);
    await keep(
      await call(t.app, "POST", `/api/v1/admin/registrations/${registrations[0]!.id}/apply`, {
        token: TEST_ADMIN.token,
      }),
    );
    await keep(await call(t.app, "GET", "/api/v1/admin/mailboxes", { token: TEST_ADMIN.token }));
    await keep(await call(t.app, "GET", "/api/v1/admin/audit", { token: TEST_ADMIN.token }));
    for (const page of ["/admin/registrations", "/admin/mailboxes", "/admin/audit"]) {
      await keep(await call(t.app, "GET", page, { cookie }));
    }
    await keep(await call(t.app, "GET", "/metrics", { token: TEST_ADMIN.token }));

    expect(seen.length).toBeGreaterThan(15);
    for (const text of seen) expect(text).not.toContain(PASSWORD);
    expect(t.logs.length).toBeGreaterThan(15);
    for (const line of t.logs) expect(line).not.toContain(PASSWORD);

    const tables = await t.store.client.execute("select name from sqlite_master where type = 'table'");
    let rows = 0;
    for (const { name } of tables.rows) {
      const all = await t.store.client.execute(`select * from "${String(name)}"`);
      for (const row of all.rows) {
        rows++;
        for (const value of Object.values(row)) expect(String(value)).not.toContain(PASSWORD);
      }
    }
    expect(rows).toBeGreaterThan(4);
  });
});
