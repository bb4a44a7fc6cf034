// Deno smoke test: the app runs under Deno 2 as it does under Node (hono, zod, jose, prom-client,
// libSQL in memory), holding only the registry public key.
import assert from "node:assert/strict";
import { listRegistrations } from "@mailreg/store";
import { call, createTestApp, TEST_ADMIN } from "./testing.ts";

Deno.test("a registration is sealed and stored under Deno, and the page and API document answer", async () => {
  const t = await createTestApp({ publicOnly: true });
  try {
    const res = await call(t.app, "POST", "/api/v1/registrations", {
      json: { address: "ann@example.com", password: "deno-password" },
    });
    assert.equal(res.status, 201);
    const { id } = (await res.json()) as { id: string };
    assert.match(id, /^[0-9a-f-]{36}$/);
    const page = await call(t.app, "GET", "/register", { headers: { "accept-language": "de" } });
    assert.match(await page.text(), /Postfach registrieren/);
    const doc = (await (await call(t.app, "GET", "/api/v1/openapi.json")).json()) as { paths: object };
    assert.ok("/api/v1/registrations" in doc.paths);
    const metrics = await (await call(t.app, "GET", "/metrics", { token: TEST_ADMIN.token })).text();
    assert.match(metrics, /mailreg_registrations_received_total 1/);
  } finally {
    t.close();
  }
});

Deno.test("Sign in with an OIDC provider stores a pending oauth2 registration under Deno", async () => {
  // tools/mailservers is not a Deno workspace member: its provider file is imported by path
  const { startOAuthProvider } = await import("../../../tools/mailservers/src/oauth-provider.ts");
  const provider = await startOAuthProvider({ defaultEmail: "ann@example.com" });
  const t = await createTestApp({
    publicOnly: true,
    config: {
      servers: [
        { id: "example-imap", label: "Example IMAP", protocol: "imap", host: "imap.example.com" },
        {
          id: "corp-imap",
          label: "Corp",
          protocol: "imap",
          host: "imap.corp.example",
          oauthProvider: "corp",
        },
      ],
      oauth: {
        providers: {
          corp: {
            kind: "oidc",
            issuer: provider.issuer,
            clientId: "mailreg-deno",
            redirectUri: "http://localhost/register/oauth/corp/callback",
          },
        },
      },
    },
  });
  try {
    const start = await call(t.app, "GET", "/register/oauth/corp/start");
    assert.equal(start.status, 302);
    const cookie = start.headers.get("set-cookie")?.split(";")[0] ?? "";
    const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    await atProvider.body?.cancel();
    const done = await call(t.app, "GET", atProvider.headers.get("location") ?? "", { cookie });
    assert.equal(done.status, 303);
    const list = await listRegistrations(t.store);
    assert.deepEqual(
      list.map((r) => [r.address, r.authMethod, r.host]),
      [["ann@example.com", "oauth2", "imap.corp.example"]],
    );
  } finally {
    t.close();
    await provider.stop();
  }
});
