import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing.ts";

let t: TestApp | undefined;
afterEach(() => t?.close());

describe("HSTS", () => {
  it("is sent over https only (or where the public URL is https: TLS ends at a proxy)", async () => {
    t = await createTestApp();
    const plain = await t.app.request("http://127.0.0.1/register");
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    const tls = await t.app.request("https://reg.example.org/register");
    expect(tls.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    t.close();
    t = await createTestApp({ config: { server: { publicUrl: "https://reg.example.org" } } });
    const proxied = await t.app.request("http://127.0.0.1/register");
    expect(proxied.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
  });
});
