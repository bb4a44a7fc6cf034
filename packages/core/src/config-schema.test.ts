import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hashPassword, hashToken } from "./admin-secrets.ts";
import { checkConfig, configJsonSchema, defaultConfig, validateConfig } from "./config-schema.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { MailregError } from "./errors.ts";

const imap = { id: "mail", label: "Mail", protocol: "imap", host: "imap.example.com", port: 993 } as const;

// Made-up connectors: core knows none of its own, it asks whatever registries it is given.
const connectors: ConnectorRegistries = {
  sources: new Map([
    ["imap", { kind: "imap", label: "IMAP", defaultPort: (s: string) => (s === "tls" ? 993 : 143) }],
    ["jmap", { kind: "jmap", label: "JMAP", defaultPort: () => 443 }],
  ]),
  sinks: new Map([
    ["log", { kind: "log", label: "Log", options: z.strictObject({ level: z.enum(["info", "debug"]) }) }],
  ]),
  providers: new Map([
    ["acme", { kind: "acme", label: "Acme", appOnly: false, options: z.strictObject({}) }],
    [
      "corp",
      {
        kind: "corp",
        label: "Corp SSO",
        appOnly: true,
        options: z.strictObject({ realm: z.string().min(1), tenant: z.string().optional() }),
      },
    ],
  ]),
};

function issuesOf(value: unknown, registries?: ConnectorRegistries) {
  const result = checkConfig(value, registries);
  if (result.ok) throw new Error("expected the config to be invalid");
  return result.issues;
}

describe("ConfigSchema defaults", () => {
  it("{} is a complete config with the documented defaults", () => {
    const c = validateConfig({});
    expect(c.server).toEqual({ host: "127.0.0.1", port: 8080, trustedProxies: [] });
    expect(c.database.url).toBe("file:./data/mailreg.db");
    expect(c.keys).toEqual({
      publicKeyFile: "./keys/registry.public.jwk",
      privateKeyDir: "./keys/private",
      sessionKeyFile: "./keys/admin-session.key",
    });
    expect(c.registration).toMatchObject({
      enabled: false,
      windows: [],
      templates: [],
      allowCustomServer: false,
      verifyOnSubmit: false,
      allowPrivateNetworks: false,
      allowedPorts: [143, 993, 110, 995, 25, 465, 587],
      dnsServers: [],
    });
    expect(c.worker).toEqual({
      concurrency: 4,
      intervalSeconds: 300,
      alwaysDeleteAfterFetch: false,
      leaseSeconds: 120,
    });
    expect(c.admin.session).toEqual({ cookieName: "mailreg_session", maxAgeSeconds: 8 * 3600 });
    expect(c.servers).toEqual([]);
    expect(c.instances).toEqual([]);
    expect(c.oauth.providers).toEqual({});
  });

  it("defaultConfig() equals validateConfig({}) and is a fresh object each time", () => {
    expect(defaultConfig()).toEqual(validateConfig({}));
    const a = defaultConfig();
    a.servers.push({} as never);
    expect(defaultConfig().servers).toEqual([]);
  });

  it("fills nested defaults of a partly given section", () => {
    const c = validateConfig({ worker: { concurrency: 8 }, server: { port: 9000 } });
    expect(c.worker).toMatchObject({ concurrency: 8, intervalSeconds: 300, leaseSeconds: 120 });
    expect(c.server).toEqual({ host: "127.0.0.1", port: 9000, trustedProxies: [] });
  });

  it.each([
    ["imap", "tls", 993],
    ["imap", "starttls", 143],
    ["jmap", "tls", 443],
  ] as const)(
    "a %s server with security %s takes its source's default port %i",
    (protocol, security, port) => {
      const { port: _, ...noPort } = imap;
      const c = validateConfig({ servers: [{ ...noPort, protocol, security }] }, connectors);
      expect(c.servers[0]!.port).toBe(port);
    },
  );

  it("without a source registry a server template must give its port", () => {
    const { port: _, ...noPort } = imap;
    expect(issuesOf({ servers: [noPort] })).toEqual([
      {
        path: "servers[0].port",
        message: "required here: without the source registry there is no default port for the protocol",
      },
    ]);
  });

  it("a server template gets security tls, both password methods and certificate checking by default", () => {
    const s = validateConfig({ servers: [imap] }).servers[0]!;
    expect(s).toMatchObject({
      port: 993,
      security: "tls",
      authMethods: ["password-plain", "password-login"],
      tls: { verify: true },
    });
    expect(validateConfig({ servers: [{ ...imap, port: 1993 }] }).servers[0]!.port).toBe(1993);
  });

  it("an instance gets INBOX-only, auto-fetch every 300 s without IDLE and no delete-after-fetch by default", () => {
    const i = validateConfig({ instances: [{ id: "main", label: "Main" }] }).instances[0]!;
    expect(i).toEqual({
      id: "main",
      label: "Main",
      folderPolicy: { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] },
      schedule: { autoFetch: true, intervalSeconds: 300, idle: false },
      deleteAfterFetch: false,
    });
  });

  it('an instance compares addresses case-insensitively unless addressCase is "sensitive"; other values are refused', () => {
    const c = validateConfig({
      instances: [
        { id: "main", label: "Main" },
        { id: "exact", label: "Exact", addressCase: "sensitive" },
      ],
    });
    expect(c.instances.map((i) => i.addressCase)).toEqual([undefined, "sensitive"]);
    expect(() => validateConfig({ instances: [{ id: "x", label: "X", addressCase: "lower" }] })).toThrow(
      MailregError,
    );
  });

  it("SMTP settings are enabled, unauthenticated and verify certificates unless told otherwise", () => {
    const c = validateConfig({ smtp: { default: { host: "smtp.example.com", port: 587 } } });
    expect(c.smtp.default).toEqual({
      enabled: true,
      host: "smtp.example.com",
      port: 587,
      auth: { method: "none" },
      tls: { verify: true },
    });
  });

  it("accepts the $schema key editors use", () => {
    expect(checkConfig({ $schema: "./node_modules/@mailreg/core/config.schema.json" }).ok).toBe(true);
  });
});

describe("ConfigSchema problems", () => {
  it("a window whose until is not after from is reported at registration.windows[0].until", () => {
    expect(
      issuesOf({
        registration: { windows: [{ from: "2025-03-02T10:00:00Z", until: "2025-03-01T10:00:00Z" }] },
      }),
    ).toEqual([{ path: "registration.windows[0].until", message: "must be after from" }]);
    expect(
      checkConfig({
        registration: { windows: [{ from: "2025-03-01T10:00:00+01:00", until: "2025-03-01T10:00:00Z" }] },
      }).ok,
    ).toBe(true);
  });

  it("refuses window times that are not ISO date-times", () => {
    const issues = issuesOf({ registration: { windows: [{ from: "tomorrow", until: "2025-03-01" }] } });
    expect(issues.map((i) => i.path)).toEqual([
      "registration.windows[0].from",
      "registration.windows[0].until",
    ]);
  });

  it("reports a misspelt key at its own path", () => {
    expect(issuesOf({ server: { prot: 1 } })).toEqual([{ path: "server.prot", message: "unknown key" }]);
    expect(issuesOf({ sever: {} })).toEqual([{ path: "sever", message: "unknown key" }]);
  });

  it("reports a template id that no server has, naming the path", () => {
    expect(issuesOf({ servers: [imap], registration: { templates: ["mail", "gmail"] } })).toEqual([
      { path: "registration.templates[1]", message: 'no server template "gmail" in servers' },
    ]);
  });

  it("reports duplicate server and instance ids", () => {
    const issues = issuesOf({
      servers: [imap, { ...imap, label: "Again" }],
      instances: [
        { id: "a", label: "A" },
        { id: "a", label: "B" },
      ],
    });
    expect(issues).toEqual([
      { path: "servers[1].id", message: 'duplicate id "mail" (also servers[0])' },
      { path: "instances[1].id", message: 'duplicate id "a" (also instances[0])' },
    ]);
  });

  it("reports an enabled registration that offers no server at all", () => {
    expect(issuesOf({ registration: { enabled: true } })).toEqual([
      {
        path: "registration.templates",
        message: "registration is enabled but offers no server: add templates or set allowCustomServer",
      },
    ]);
    expect(checkConfig({ registration: { enabled: true, allowCustomServer: true } }).ok).toBe(true);
  });

  it("reports every problem at once, cross-references included, across sections", () => {
    const issues = issuesOf(
      {
        database: { url: "mysql://db" },
        server: { port: 70000 },
        worker: { intervalSeconds: 5 },
        servers: [{ ...imap, protocol: "smtp" }],
        instances: [{ id: "Main", label: "Main", folderPolicy: { mode: "selected" } }],
        registration: { templates: ["nope"], allowedDomains: ["exa mple.com"] },
        oauth: { providers: { g: { kind: "acme", clientId: "x", redirectUri: "not a url" } } },
      },
      connectors,
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "database.url",
        "instances[0].folderPolicy.folders",
        "instances[0].id",
        "oauth.providers.g.redirectUri",
        "registration.allowedDomains[0]",
        "registration.templates[0]",
        "server.port",
        "servers[0].protocol",
        "worker.intervalSeconds",
      ].sort(),
    );
  });

  it.each([
    ["file:./data/x.db", true],
    ["file:/var/lib/mailreg.db", true],
    ["libsql://db.example.com", true],
    ["http://127.0.0.1:8081", true],
    ["https://db.example.com", true],
    ["wss://db.example.com", true],
    [":memory:", true],
    ["postgres://db", false],
    ["./data/x.db", false],
    ["libsql://", false],
  ])("database.url %j valid: %s", (url, ok) => {
    expect(checkConfig({ database: { url } }).ok).toBe(ok);
  });

  it("normalises allowed domains to lower-case A-labels", () => {
    const c = validateConfig({ registration: { allowedDomains: ["Bücher.Example", "EXAMPLE.com"] } });
    expect(c.registration.allowedDomains).toEqual(["xn--bcher-kva.example", "example.com"]);
  });

  it("checks each OAuth provider's own options against its registered kind", () => {
    const common = { clientId: "id", redirectUri: "https://mail.example.com/oauth/callback" };
    expect(
      issuesOf({ oauth: { providers: { sso: { kind: "corp", ...common } } } }, connectors)[0]!.path,
    ).toBe("oauth.providers.sso.realm");
    expect(
      issuesOf({ oauth: { providers: { a: { kind: "acme", tenant: "x", ...common } } } }, connectors),
    ).toEqual([{ path: "oauth.providers.a.tenant", message: "unknown key" }]);
    const c = validateConfig(
      {
        oauth: { providers: { c: { kind: "corp", realm: "r", tenant: "t", clientSecret: "s", ...common } } },
      },
      connectors,
    );
    expect(c.oauth.providers.c).toMatchObject({ kind: "corp", realm: "r", tenant: "t", scopes: [] });
  });

  it("without the registries an OAuth provider's kind and own options pass as they are", () => {
    const common = { clientId: "id", redirectUri: "https://mail.example.com/oauth/callback" };
    const c = validateConfig({ oauth: { providers: { sso: { kind: "whatever", realm: "r", ...common } } } });
    expect(c.oauth.providers.sso).toMatchObject({ kind: "whatever", realm: "r", scopes: [] });
    expect(issuesOf({ oauth: { providers: { sso: { kind: "x", realm: "r" } } } }).map((i) => i.path)).toEqual(
      ["oauth.providers.sso.clientId", "oauth.providers.sso.redirectUri"],
    );
  });

  it("refuses a provider id that is not a slug and an unknown provider kind, naming the known ones", () => {
    const issues = issuesOf(
      { oauth: { providers: { Google: { kind: "acme" }, x: { kind: "github" } } } },
      connectors,
    );
    expect(issues).toEqual([
      { path: "oauth.providers.Google", message: expect.stringContaining("invalid key") },
      { path: "oauth.providers.x.kind", message: 'unknown OAuth provider kind "github" (known: acme, corp)' },
    ]);
  });

  it("refuses a protocol no source is registered for, naming the known ones", () => {
    expect(issuesOf({ servers: [{ ...imap, protocol: "smtp" }] }, connectors)).toEqual([
      { path: "servers[0].protocol", message: 'unknown protocol "smtp" (known: imap, jmap)' },
    ]);
  });

  it("reports a server's oauthProvider that oauth.providers lacks", () => {
    expect(issuesOf({ servers: [{ ...imap, authMethods: ["xoauth2"], oauthProvider: "google" }] })).toEqual([
      { path: "servers[0].oauthProvider", message: 'no provider "google" in oauth.providers' },
    ]);
  });

  it("an instance's app-only OAuth access must name a provider whose kind can grant it", () => {
    const common = { clientId: "app", clientSecret: "s", redirectUri: "https://reg.example.org/cb" };
    const providers = {
      m365: { kind: "corp", realm: "contoso", ...common },
      gmail: { kind: "acme", ...common },
    };
    const c = validateConfig(
      {
        oauth: { providers },
        instances: [{ id: "contoso", label: "Contoso", oauthAppOnly: { provider: "m365" } }],
      },
      connectors,
    );
    expect(c.instances[0]?.oauthAppOnly).toEqual({ provider: "m365" });
    expect(
      issuesOf(
        {
          oauth: { providers },
          instances: [
            { id: "a", label: "A", oauthAppOnly: { provider: "missing" } },
            { id: "b", label: "B", oauthAppOnly: { provider: "gmail" } },
            { id: "c", label: "C", oauthAppOnly: { provider: "m365", scopes: [] } },
          ],
        },
        connectors,
      ),
    ).toEqual([
      { path: "instances[2].oauthAppOnly.scopes", message: expect.stringContaining(">=1") },
      { path: "instances[0].oauthAppOnly.provider", message: 'no provider "missing" in oauth.providers' },
      {
        path: "instances[1].oauthAppOnly.provider",
        message:
          'provider "gmail" is of kind acme: Acme offers no app-only (client-credentials) access to IMAP or SMTP; use a provider of kind corp',
      },
    ]);
  });

  it("takes admin password and token hashes and refuses a clear password without echoing it", async () => {
    const ok = validateConfig({
      admin: {
        users: [{ name: "admin", passwordHash: await hashPassword("pw") }],
        tokens: [{ name: "ci", hash: await hashToken("mrt_x") }],
      },
    });
    expect(ok.admin.users[0]!.name).toBe("admin");
    const issues = issuesOf({
      admin: { users: [{ name: "admin", passwordHash: "hunter2-is-my-password" }] },
    });
    expect(issues[0]!.path).toBe("admin.users[0].passwordHash");
    expect(JSON.stringify(issues)).not.toContain("hunter2");
  });

  it("refuses repeated admin user names", async () => {
    const passwordHash = await hashPassword("pw");
    expect(
      issuesOf({
        admin: {
          users: [
            { name: "a", passwordHash },
            { name: "a", passwordHash },
          ],
        },
      }),
    ).toEqual([{ path: "admin.users", message: "must not repeat a name" }]);
  });

  it("refuses a schedule interval under 30 s", () => {
    expect(
      issuesOf({ instances: [{ id: "m", label: "M", schedule: { intervalSeconds: 10 } }] })[0]!.path,
    ).toBe("instances[0].schedule.intervalSeconds");
  });
});

describe("validateConfig()", () => {
  it("throws CONFIG_INVALID with every issue in details and one path: message line each", () => {
    try {
      validateConfig({
        server: { port: "eighty" },
        registration: { windows: [{ from: "2025-03-02T10:00:00Z", until: "2025-03-01T10:00:00Z" }] },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MailregError);
      const e = error as MailregError;
      expect(e.code).toBe("CONFIG_INVALID");
      expect(e.details?.issues).toEqual([
        { path: "registration.windows[0].until", message: "must be after from" },
        { path: "server.port", message: "Invalid input: expected number, received string" },
      ]);
      expect(e.message).toContain("2 problems");
      expect(e.message).toContain("\n  registration.windows[0].until: must be after from");
      expect(e.message).toContain("\n  server.port: Invalid input: expected number, received string");
    }
  });

  it("keeps secrets given in the config out of the error", () => {
    try {
      validateConfig({
        smtp: {
          default: { host: "smtp.example.com", port: "x", auth: { method: "plain", password: "s3cr3t-pw" } },
        },
        keys: { passphrase: "my-passphrase", extra: 1 },
      });
      expect.unreachable();
    } catch (error) {
      const text = JSON.stringify((error as MailregError).toJSON()) + (error as Error).message;
      expect(text).not.toContain("s3cr3t-pw");
      expect(text).not.toContain("my-passphrase");
    }
  });
});

describe("config.schema.json", () => {
  it("the committed file is what the zod schema emits (else run `npm run schema -w @mailreg/core`)", async () => {
    const committed = JSON.parse(await readFile(new URL("../config.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(configJsonSchema());
  });

  it("given the registries, lists every registered kind with its own options for editors", () => {
    const schema = JSON.stringify(configJsonSchema(connectors));
    expect(schema).toContain('"const":"log"');
    expect(schema).toContain('"level"');
    expect(schema).toContain('"realm"');
    expect(schema).toContain('"enum":["imap","jmap"]');
    expect(JSON.stringify(configJsonSchema())).not.toContain('"realm"');
  });

  it("describes the input side: nothing is required at the top and unknown keys are refused", () => {
    const schema = configJsonSchema() as {
      required?: unknown;
      additionalProperties?: unknown;
      properties: object;
    };
    expect(schema.required).toBeUndefined();
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "database",
        "keys",
        "registration",
        "servers",
        "instances",
        "smtp",
        "oauth",
        "server",
      ]),
    );
  });
});
