import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig, resolveConfigPaths } from "./config-loader.ts";
import { defaultConfig } from "./config-schema.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { MailregError } from "./errors.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

async function failure(promise: Promise<unknown>): Promise<MailregError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MailregError);
    return error as MailregError;
  }
  throw new Error("expected loadConfig() to fail");
}

const imap = { id: "mail", label: "Mail", protocol: "imap", host: "imap.example.com", port: 993 };

describe("loadConfig() finding the file", () => {
  it("uses defaults when ./mailreg.config.json does not exist, with paths under the working directory", async () => {
    const loaded = await loadConfig({ cwd: dir, env: {} });
    expect(loaded.found).toBe(false);
    expect(loaded.path).toBe(join(dir, "mailreg.config.json"));
    expect(loaded.config.server).toEqual({ host: "127.0.0.1", port: 8080, trustedProxies: [] });
    expect(loaded.config.database.url).toBe(`file:${join(dir, "data/mailreg.db")}`);
    expect(loaded.config.keys.publicKeyFile).toBe(join(dir, "keys/registry.public.jwk"));
    expect(loaded.config.keys.privateKeyDir).toBe(join(dir, "keys/private"));
  });

  it("reads ./mailreg.config.json from the working directory", async () => {
    await write("mailreg.config.json", { server: { port: 9100 } });
    const loaded = await loadConfig({ cwd: dir, env: {} });
    expect(loaded.found).toBe(true);
    expect(loaded.config.server.port).toBe(9100);
  });

  it("prefers the path argument over MAILREG_CONFIG over the default", async () => {
    await write("mailreg.config.json", { server: { port: 1 } });
    await write("from-env.json", { server: { port: 2 } });
    await write("from-arg.json", { server: { port: 3 } });
    const env = { MAILREG_CONFIG: "from-env.json" };
    expect((await loadConfig({ cwd: dir, env })).config.server.port).toBe(2);
    expect((await loadConfig({ cwd: dir, env, path: "from-arg.json" })).config.server.port).toBe(3);
  });

  it("refuses a named file that does not exist with CONFIG_NOT_FOUND, by argument or MAILREG_CONFIG", async () => {
    const byArg = await failure(loadConfig({ cwd: dir, env: {}, path: "missing.json" }));
    expect(byArg.code).toBe("CONFIG_NOT_FOUND");
    expect(byArg.details?.path).toBe(join(dir, "missing.json"));
    const byEnv = await failure(loadConfig({ cwd: dir, env: { MAILREG_CONFIG: join(dir, "nope.json") } }));
    expect(byEnv.code).toBe("CONFIG_NOT_FOUND");
  });

  it("reports a config path that is a folder as CONFIG_UNREADABLE", async () => {
    await mkdir(join(dir, "mailreg.config.json"));
    expect((await failure(loadConfig({ cwd: dir, env: {} }))).code).toBe("CONFIG_UNREADABLE");
  });

  it("accepts a UTF-8 byte order mark", async () => {
    await write("mailreg.config.json", `\uFEFF${JSON.stringify({ server: { port: 9200 } })}`);
    expect((await loadConfig({ cwd: dir, env: {} })).config.server.port).toBe(9200);
  });
});

describe("loadConfig() with broken JSON", () => {
  it.each([
    ['{\n  "server": {\n    "port": 8080,\n  }\n}', 4, 3, "trailing comma"],
    ['{\n  "server": { "port": 8080 }\n  "worker": {}\n}', 3, 3, "expected ',' or '}' after property value"],
    ['{\n  // comment\n  "server": {}\n}', 2, 3, "expected a double-quoted property name"],
    ['{ "keys": { "passphrase": "abc', 1, 27, "unterminated string"],
    ["", 1, 1, "unexpected end of input, expected a value"],
    ['{"a": 1} x', 1, 10, "unexpected content after the JSON value"],
    ['{"a": tru}', 1, 7, "unexpected character"],
    ['{"a": [1, 2,]}', 1, 13, "trailing comma"],
  ])("%j is CONFIG_PARSE at line %i, column %i (%s)", async (text, line, column, reason) => {
    await write("mailreg.config.json", text);
    const error = await failure(loadConfig({ cwd: dir, env: {} }));
    expect(error.code).toBe("CONFIG_PARSE");
    expect(error.details).toMatchObject({ line, column });
    expect(error.message).toContain(`line ${line}, column ${column}: ${reason}`);
  });

  it("does not quote the file in the message, which may hold a secret", async () => {
    await write("mailreg.config.json", '{"keys": {"passphrase": "my-secret-phrase"} x}');
    const error = await failure(loadConfig({ cwd: dir, env: {} }));
    expect(error.message).not.toContain("my-secret-phrase");
    expect(error.cause).toBeUndefined();
  });
});

describe("loadConfig() environment overrides", () => {
  it("MAILREG_SERVER__PORT sets server.port as a number", async () => {
    const { config } = await loadConfig({ cwd: dir, env: { MAILREG_SERVER__PORT: "9000" } });
    expect(config.server.port).toBe(9000);
  });

  it("PORT sets server.port, and MAILREG_SERVER__PORT wins over it", async () => {
    expect((await loadConfig({ cwd: dir, env: { PORT: "3000" } })).config.server.port).toBe(3000);
    const both = await loadConfig({ cwd: dir, env: { PORT: "3000", MAILREG_SERVER__PORT: "4000" } });
    expect(both.config.server.port).toBe(4000);
  });

  it("overrides a value from the file and keeps the rest of the file", async () => {
    await write("mailreg.config.json", { server: { host: "0.0.0.0", port: 1 } });
    const { config } = await loadConfig({ cwd: dir, env: { MAILREG_SERVER__PORT: "2" } });
    expect(config.server).toEqual({ host: "0.0.0.0", port: 2, trustedProxies: [] });
  });

  it("maps SCREAMING_SNAKE to camelCase keys and converts booleans", async () => {
    const { config } = await loadConfig({
      cwd: dir,
      env: {
        MAILREG_WORKER__ALWAYS_DELETE_AFTER_FETCH: "true",
        MAILREG_REGISTRATION__ALLOW_CUSTOM_SERVER: "yes",
        MAILREG_REGISTRATION__ENABLED: "1",
        MAILREG_REGISTRATION__VERIFY_ON_SUBMIT: "false",
        MAILREG_KEYS__PUBLIC_KEY_FILE: "/etc/mailreg/public.jwk",
      },
    });
    expect(config.worker.alwaysDeleteAfterFetch).toBe(true);
    expect(config.registration).toMatchObject({
      allowCustomServer: true,
      enabled: true,
      verifyOnSubmit: false,
    });
    expect(config.keys.publicKeyFile).toBe("/etc/mailreg/public.jwk");
  });

  it("sets an existing OAuth provider's secret by its id, and can create a provider from the environment", async () => {
    await write("mailreg.config.json", {
      oauth: {
        providers: {
          google: { kind: "google", clientId: "id", redirectUri: "https://m.example.com/oauth/google" },
          "corp-sso": {
            kind: "oidc",
            clientId: "id",
            redirectUri: "https://m.example.com/oauth/sso",
            issuer: "https://sso.example.com",
          },
        },
      },
    });
    const { config } = await loadConfig({
      cwd: dir,
      env: {
        MAILREG_OAUTH__PROVIDERS__GOOGLE__CLIENT_SECRET: "x",
        MAILREG_OAUTH__PROVIDERS__CORP_SSO__CLIENT_SECRET: "y",
        MAILREG_OAUTH__PROVIDERS__MS__KIND: "microsoft",
        MAILREG_OAUTH__PROVIDERS__MS__CLIENT_ID: "ms-id",
        MAILREG_OAUTH__PROVIDERS__MS__TENANT: "contoso",
        MAILREG_OAUTH__PROVIDERS__MS__REDIRECT_URI: "https://m.example.com/oauth/ms",
      },
    });
    expect(config.oauth.providers.google?.clientSecret).toBe("x");
    expect(config.oauth.providers["corp-sso"]?.clientSecret).toBe("y");
    expect(config.oauth.providers.ms).toMatchObject({
      kind: "microsoft",
      clientId: "ms-id",
      tenant: "contoso",
    });
  });

  it("sets a registered connector's own option from the environment, checked against its schema", async () => {
    const connectors: ConnectorRegistries = {
      sources: new Map([["imap", { kind: "imap", label: "IMAP", defaultPort: () => 993 }]]),
      sinks: new Map([
        [
          "log",
          { kind: "log", label: "Log", options: z.strictObject({ maxLines: z.number().int().min(1) }) },
        ],
      ]),
      providers: new Map(),
    };
    const { port: _, ...noPort } = imap;
    await write("mailreg.config.json", { servers: [noPort], sinks: { out: { kind: "log", maxLines: 10 } } });
    const { config } = await loadConfig({
      cwd: dir,
      env: { MAILREG_SINKS__OUT__MAX_LINES: "20" },
      connectors,
    });
    expect(config.sinks.out).toEqual({ kind: "log", maxLines: 20 });
    expect(config.servers[0]?.port).toBe(993);
    const error = await failure(
      loadConfig({ cwd: dir, env: { MAILREG_SINKS__OUT__MAX_LINES: "0" }, connectors }),
    );
    expect(error.details?.issues).toEqual([
      {
        path: "sinks.out.maxLines",
        message: expect.stringContaining("(from MAILREG_SINKS__OUT__MAX_LINES)"),
      },
    ]);
  });

  it("takes arrays and objects as JSON values", async () => {
    const { config } = await loadConfig({
      cwd: dir,
      env: {
        MAILREG_SERVERS: JSON.stringify([imap, { ...imap, id: "b" }]),
        MAILREG_REGISTRATION__TEMPLATES: '["mail","b"]',
        MAILREG_SMTP__DEFAULT: '{"host":"smtp.example.com","port":587}',
      },
    });
    expect(config.registration.templates).toEqual(["mail", "b"]);
    expect(config.servers.map((s) => s.id)).toEqual(["mail", "b"]);
    expect(config.smtp.default?.port).toBe(587);
  });

  it("addresses an array element by index", async () => {
    await write("mailreg.config.json", { servers: [imap] });
    const { config } = await loadConfig({
      cwd: dir,
      env: { MAILREG_SERVERS__0__HOST: "imap2.example.com", MAILREG_SERVERS__0__TLS__VERIFY: "false" },
    });
    expect(config.servers[0]).toMatchObject({ host: "imap2.example.com", tls: { verify: false } });
  });

  it("ignores empty variables and does not treat MAILREG_CONFIG as a setting", async () => {
    const { config } = await loadConfig({ cwd: dir, env: { MAILREG_SERVER__PORT: "", MAILREG_CONFIG: "" } });
    expect(config.server.port).toBe(8080);
  });

  it("ignores MAILREG_ variables an orchestrator sets, with one warning naming them all", async () => {
    const { config, warnings } = await loadConfig({
      cwd: dir,
      env: {
        MAILREG_PORT: "tcp://10.0.0.1:8080",
        MAILREG_PORT_8080_TCP: "tcp://10.0.0.1:8080",
        MAILREG_PORT_8080_TCP_ADDR: "10.0.0.1",
        MAILREG_SERVICE_HOST: "10.0.0.1",
        MAILREG_SERVICE_PORT: "8080",
        MAILREG_ROOT: "/srv",
        MAILREG_SERVER__PORT: "9000",
      },
    });
    expect(config.server.port).toBe(9000);
    expect(warnings).toEqual([
      "Ignored 6 environment variables that name no config setting: MAILREG_PORT, MAILREG_PORT_8080_TCP, " +
        "MAILREG_PORT_8080_TCP_ADDR, MAILREG_ROOT, MAILREG_SERVICE_HOST, MAILREG_SERVICE_PORT",
    ]);
    expect((await loadConfig({ cwd: dir, env: {} })).warnings).toEqual([]);
  });

  it("refuses a mistyped setting with the one it most likely meant", async () => {
    for (const [name, meant] of [
      ["MAILREG_SERVER__POTR", "MAILREG_SERVER__PORT"],
      ["MAILREG_SERVER_PORT", "MAILREG_SERVER__PORT"],
      ["MAILREG_WORKER__CONCURENCY", "MAILREG_WORKER__CONCURRENCY"],
      ["MAILREG_DATABASE_URL", "MAILREG_DATABASE__URL"],
    ] as const) {
      const error = await failure(loadConfig({ cwd: dir, env: { [name]: "1" } }));
      expect(error.details?.issues, name).toEqual([
        { path: name, message: `does not name a config setting; did you mean ${meant}?` },
      ]);
    }
  });

  it("reports unknown MAILREG_ variables, bad JSON values and bad values together with file problems", async () => {
    await write("mailreg.config.json", {
      registration: { windows: [{ from: "2025-03-02T10:00:00Z", until: "2025-03-01T10:00:00Z" }] },
    });
    const error = await failure(
      loadConfig({
        cwd: dir,
        env: {
          MAILREG_SERVR__PORT: "1",
          MAILREG_SERVERS__3__HOST: "x",
          MAILREG_REGISTRATION__TEMPLATES: "a,b",
          MAILREG_WORKER__CONCURRENCY: "many",
          MAILREG_REGISTRATION__ENABLED: "maybe",
        },
      }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.details?.issues).toEqual([
      { path: "MAILREG_REGISTRATION__TEMPLATES", message: "must be a JSON array" },
      { path: "MAILREG_SERVERS__3__HOST", message: "does not name a config setting" },
      {
        path: "MAILREG_SERVR__PORT",
        message: "does not name a config setting; did you mean MAILREG_SERVER__PORT?",
      },
      {
        path: "registration.enabled",
        message: "Invalid input: expected boolean, received string (from MAILREG_REGISTRATION__ENABLED)",
      },
      { path: "registration.windows[0].until", message: "must be after from" },
      {
        path: "worker.concurrency",
        message: "Invalid input: expected number, received string (from MAILREG_WORKER__CONCURRENCY)",
      },
    ]);
    expect(error.message).toContain(join(dir, "mailreg.config.json"));
    expect(error.message).toContain("6 problems");
    expect(error.message).toContain("\n  registration.windows[0].until: must be after from");
  });

  it("never puts an overriding secret into the error", async () => {
    const error = await failure(
      loadConfig({
        cwd: dir,
        env: { MAILREG_KEYS__PASSPHRASE: "pass-phrase-123", MAILREG_KEYS__NOPE: "pass-phrase-123" },
      }),
    );
    expect(error.message + JSON.stringify(error.details)).not.toContain("pass-phrase-123");
  });
});

describe("relative paths", () => {
  it("are resolved against the config file's folder, not the working directory", async () => {
    const path = await write("etc/mailreg.config.json", {
      database: { url: "file:db/mailreg.db?mode=rwc" },
      keys: { publicKeyFile: "keys/pub.jwk", privateKeyDir: "/srv/keys" },
    });
    const { config } = await loadConfig({ cwd: dir, env: {}, path });
    expect(config.database.url).toBe(`file:${join(dir, "etc/db/mailreg.db")}?mode=rwc`);
    expect(config.keys.publicKeyFile).toBe(join(dir, "etc/keys/pub.jwk"));
    expect(config.keys.privateKeyDir).toBe("/srv/keys");
  });

  it("resolveConfigPaths() keeps absolute file: URLs, remote URLs and :memory:", () => {
    for (const url of ["file:/var/lib/m.db", "file:///var/lib/m.db", "libsql://db.example.com", ":memory:"]) {
      const config = { ...defaultConfig(), database: { url } };
      expect(resolveConfigPaths(config, "/etc/mailreg").database.url).toBe(url);
    }
  });
});
