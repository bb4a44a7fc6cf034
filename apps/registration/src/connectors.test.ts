import { checkConfig } from "@mailreg/core";
import { SOURCES } from "@mailreg/imap-sync";
import { listRegistrations } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { CONNECTORS } from "./connectors.ts";
import { call, createTestApp, signIn, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

describe("the app's choices come from the connector registries", () => {
  it("the registration form offers exactly the registered sources, by their labels", async () => {
    t = await createTestApp({
      config: { registration: { enabled: true, templates: [], allowCustomServer: true } },
    });
    const html = await (await call(t.app, "GET", "/register")).text();
    const select = html.slice(html.indexOf('name="server.protocol"'), html.indexOf("</select>"));
    const options = [...select.matchAll(/<option value="([^"]+)"[^>]*>([^<]+)<\/option>/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(options).toEqual([...SOURCES.values()].map((s) => [s.kind, s.label]));
  });

  it("the public API's schema names the registered protocols, and a typed-in server takes its source's default port", async () => {
    t = await createTestApp({
      config: {
        registration: { enabled: true, templates: [], allowCustomServer: true, allowPrivateNetworks: true },
      },
    });
    const doc = JSON.stringify(await (await call(t.app, "GET", "/api/v1/openapi.json")).json());
    expect(doc).toContain(`"protocol":{"type":"string","enum":${JSON.stringify([...SOURCES.keys()])}`);
    const server = { host: "127.0.0.1", security: "tls" };
    const body = { address: "ann@example.com", password: "pw-1" };
    const refused = await call(t.app, "POST", "/api/v1/registrations", {
      json: { ...body, server: { ...server, protocol: "jmap" } },
    });
    expect(refused.status).toBe(400);
    const taken = await call(t.app, "POST", "/api/v1/registrations", {
      json: { ...body, server: { ...server, protocol: "pop3" } },
    });
    expect(taken.status).toBe(201);
    const [record] = await listRegistrations(t.store);
    expect(record).toMatchObject({ protocol: "pop3", port: SOURCES.get("pop3")?.defaultPort("tls") });
  });

  it("the admin's OAuth page says where each app signs in, as its provider kind tells", async () => {
    const app = { clientId: "c", redirectUri: "https://reg.example.org/register/oauth/x/callback" };
    t = await createTestApp({
      config: {
        oauth: {
          providers: {
            m365: { kind: "microsoft", tenant: "contoso.example", ...app },
            corp: { kind: "oidc", issuer: "https://id.corp.example", ...app },
          },
        },
      },
    });
    const { cookie } = await signIn(t.app);
    const html = await (await call(t.app, "GET", "/admin/oauth", { cookie })).text();
    expect(html).toContain("contoso.example");
    expect(html).toContain("https://id.corp.example");
    expect(html).toContain("Microsoft");
  });

  it("validation with the registries reports every connector problem by its config path", () => {
    const result = checkConfig(
      {
        servers: [{ id: "s", label: "S", protocol: "jmap", host: "mail.example.com" }],
        sinks: { archive: { kind: "maildir", rot: "/x" }, crm: { kind: "ftp" } },
        oauth: { providers: { sso: { kind: "oidc", clientId: "c", redirectUri: "https://r.example/cb" } } },
      },
      CONNECTORS,
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual([
      "servers[0].protocol",
      "sinks.archive.root",
      "sinks.archive.rot",
      "sinks.crm.kind",
      "oauth.providers.sso.issuer",
    ]);
  });
});
