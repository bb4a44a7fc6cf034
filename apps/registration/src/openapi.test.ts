import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

describe("the OpenAPI document", () => {
  it("describes every /api/v1 route the app serves, and the docs page lists them", async () => {
    t = await createTestApp();
    const doc = (await (await call(t.app, "GET", "/api/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path.replaceAll(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = t.app.routes
      .filter((r) => r.path.startsWith("/api/v1") && r.method !== "ALL" && !r.path.endsWith("*"))
      .map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThanOrEqual(15);
    for (const route of served) expect(described, route).toContain(route);
    const page = await (await call(t.app, "GET", "/api/v1/docs")).text();
    for (const path of Object.keys(doc.paths)) expect(page).toContain(path);
    expect(page).not.toMatch(/<script|https?:\/\/(?!localhost)[a-z]/i);
  });
});
