// Deno smoke test: the app runs under Deno 2 as it does under Node (hono, zod, jose, prom-client,
// libSQL in memory), holding only the registry public key.
import assert from "node:assert/strict";
import { call, createTestApp } from "./testing.ts";

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
    const metrics = await (await call(t.app, "GET", "/metrics")).text();
    assert.match(metrics, /mailreg_registrations_received_total 1/);
  } finally {
    t.close();
  }
});
