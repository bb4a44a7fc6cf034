/**
 * The schema of `mailreg.config.json` (DESIGN §3), the one source of truth for the config's shape:
 * the TypeScript types are inferred from it and `config.schema.json` is emitted from it.
 *
 * Every section has defaults, so `{}` is a valid config. Objects are strict: a misspelt key is a
 * problem, not silently ignored.
 *
 * @module
 */
import { z } from "zod";
import { _issueList, _safeString, type ValidationIssue } from "./_zod.ts";
import { normalizeDomain } from "./address.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { unknownKindMessage } from "./connectors.ts";
import { isMailregError, MailregError } from "./errors.ts";
import { HostSchema, PortSchema, ProtocolSchema, SECURITIES } from "./registration.ts";
import {
  connectorEntrySchema,
  RetentionSchema,
  RoutingSchema,
  SinkConfigSchema,
  sinkEntrySchema,
  unknownSinkReferences,
} from "./routing-config.ts";

export type { ValidationIssue } from "./_zod.ts";

/** An id used to refer to a server template, instance or OAuth provider: a lower-case slug. */
export const SlugSchema: z.ZodString = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be a slug: a-z, 0-9 and inner '-', at most 64");

const _label = _safeString(200).min(1);
const _folder = _safeString(1000).min(1);
const _httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** Certificate policy: verify (default), don't verify, or verify against an alternative name. */
export const TlsPolicySchema: z.ZodPrefault<
  z.ZodObject<{ verify: z.ZodDefault<z.ZodBoolean>; servername: z.ZodOptional<z.ZodString> }, z.core.$strict>
> = z
  .strictObject({
    verify: z.boolean().default(true).describe("Check the server certificate; false only for test servers"),
    servername: HostSchema.optional().describe("Check the certificate against this name instead of the host"),
  })
  .prefault({});
export type TlsPolicy = z.infer<typeof TlsPolicySchema>;

/** SASL/login methods for SMTP submission. */
export const SMTP_AUTH_METHODS = ["plain", "login", "cram-md5", "xoauth2", "none"] as const;
export type SmtpAuthMethod = (typeof SMTP_AUTH_METHODS)[number];

/** One level of the SMTP precedence chain (mailbox → company → instance → default). */
export const SmtpSettingsSchema: z.ZodObject<
  {
    enabled: z.ZodDefault<z.ZodBoolean>;
    host: z.ZodString;
    port: z.ZodNumber;
    security: z.ZodOptional<z.ZodEnum<{ none: "none"; starttls: "starttls"; tls: "tls" }>>;
    auth: z.ZodPrefault<
      z.ZodObject<
        {
          method: z.ZodEnum<{
            "cram-md5": "cram-md5";
            login: "login";
            none: "none";
            plain: "plain";
            xoauth2: "xoauth2";
          }>;
          user: z.ZodOptional<z.ZodString>;
          password: z.ZodOptional<z.ZodString>;
        },
        z.core.$strict
      >
    >;
    tls: typeof TlsPolicySchema;
    from: z.ZodOptional<z.ZodString>;
  },
  z.core.$strict
> = z.strictObject({
  enabled: z.boolean().default(true).describe("false: this level is skipped in the precedence chain"),
  host: HostSchema,
  port: PortSchema,
  security: z
    .enum(SECURITIES)
    .optional()
    .describe("Omitted: derived from the port (465 tls, 587 starttls, else opportunistic)"),
  auth: z
    .strictObject({
      method: z.enum(SMTP_AUTH_METHODS),
      user: _safeString(320).min(1).optional(),
      password: z.string().min(1).max(1024).optional(),
    })
    .prefault({ method: "none" }),
  tls: TlsPolicySchema,
  from: _safeString(320)
    .min(1)
    .optional()
    .describe("Envelope/header sender to use instead of the mailbox address"),
});
export type SmtpSettings = z.infer<typeof SmtpSettingsSchema>;

/** How a mailbox logs in to a server template's host. */
export const TEMPLATE_AUTH_METHODS = ["password-plain", "password-login", "cram-md5", "xoauth2"] as const;
export type TemplateAuthMethod = (typeof TEMPLATE_AUTH_METHODS)[number];

const _serverTemplateFields = {
  id: SlugSchema,
  label: _label,
  protocol: ProtocolSchema,
  host: HostSchema,
  port: z
    .number({
      error: (issue) =>
        issue.input === undefined
          ? "required here: without the source registry there is no default port for the protocol"
          : undefined,
    })
    .int()
    .min(1)
    .max(65535),
  security: z.enum(SECURITIES).default("tls"),
  authMethods: z
    .array(z.enum(TEMPLATE_AUTH_METHODS))
    .min(1)
    .default(["password-plain", "password-login"])
    .refine((a) => new Set(a).size === a.length, { message: "must not repeat a method" }),
  oauthProvider: SlugSchema.optional().describe("Id in oauth.providers used for xoauth2 sign-in"),
  tls: TlsPolicySchema,
  smtp: SmtpSettingsSchema.optional().describe("The SMTP counterpart of this server"),
  sentFolder: _folder.optional().describe("Sent folder, where the server does not mark one (RFC 6154)"),
  trashFolder: _folder.optional().describe("Trash folder, where the server does not mark one (RFC 6154)"),
};

/**
 * A mail server the administrator offers to mailbox owners (myfactory's "Vorlage"), as core checks
 * it without a source registry: any protocol slug, and the port must be given. {@link configSchema}
 * with the registries checks the protocol against the sources and takes an omitted port from the
 * source's default for the security.
 */
export const ServerTemplateSchema: z.ZodObject<
  {
    id: z.ZodString;
    label: z.ZodString;
    protocol: z.ZodString;
    host: z.ZodString;
    port: z.ZodNumber;
    security: z.ZodDefault<z.ZodEnum<{ none: "none"; starttls: "starttls"; tls: "tls" }>>;
    authMethods: z.ZodDefault<
      z.ZodArray<
        z.ZodEnum<{
          "cram-md5": "cram-md5";
          "password-login": "password-login";
          "password-plain": "password-plain";
          xoauth2: "xoauth2";
        }>
      >
    >;
    oauthProvider: z.ZodOptional<z.ZodString>;
    tls: typeof TlsPolicySchema;
    smtp: z.ZodOptional<typeof SmtpSettingsSchema>;
    sentFolder: z.ZodOptional<z.ZodString>;
    trashFolder: z.ZodOptional<z.ZodString>;
  },
  z.core.$strict
> = z.strictObject(_serverTemplateFields);

function _serverTemplateFor(sources: ConnectorRegistries["sources"]) {
  const [first, ...rest] = [...sources.keys()];
  const protocol =
    first === undefined
      ? ProtocolSchema
      : z.enum([first, ...rest], {
          error: (issue) => unknownKindMessage("protocol", issue.input, sources),
        });
  return z
    .strictObject({
      ..._serverTemplateFields,
      protocol,
      port: PortSchema.optional().describe(
        "Default: the protocol's port for the security (IMAP 993/143, POP3 995/110)",
      ),
    })
    .transform((t) => ({
      ...t,
      port: t.port ?? sources.get(t.protocol)?.defaultPort(t.security) ?? 0,
    }));
}
export type ServerTemplate = z.infer<typeof ServerTemplateSchema>;

/** Which folders of a mailbox are collected. */
export const FOLDER_MODES = ["inbox", "all", "subscribed", "selected"] as const;
export type FolderMode = (typeof FOLDER_MODES)[number];

/** Which folders are collected: INBOX only, all, subscribed, or selected ones, minus exclusions. */
export const FolderPolicySchema: z.ZodPrefault<
  z.ZodObject<
    {
      mode: z.ZodDefault<
        z.ZodEnum<{ all: "all"; inbox: "inbox"; selected: "selected"; subscribed: "subscribed" }>
      >;
      folders: z.ZodDefault<z.ZodArray<z.ZodString>>;
      includeSubfolders: z.ZodDefault<z.ZodBoolean>;
      exclude: z.ZodDefault<z.ZodArray<z.ZodString>>;
    },
    z.core.$strict
  >
> = z
  .strictObject({
    mode: z.enum(FOLDER_MODES).default("inbox"),
    folders: z.array(_folder).default([]).describe("The folders collected in mode selected"),
    includeSubfolders: z.boolean().default(true).describe("With mode selected, also their subfolders"),
    exclude: z.array(_folder).default([]).describe("Folders never collected, whatever the mode"),
  })
  .refine((p) => p.mode !== "selected" || p.folders.length > 0, {
    message: "must name at least one folder when mode is selected",
    path: ["folders"],
  })
  .prefault({});
export type FolderPolicy = z.infer<typeof FolderPolicySchema>;

/** When a mailbox is collected. */
export const ScheduleSchema: z.ZodPrefault<
  z.ZodObject<
    {
      autoFetch: z.ZodDefault<z.ZodBoolean>;
      intervalSeconds: z.ZodDefault<z.ZodNumber>;
      idle: z.ZodDefault<z.ZodBoolean>;
    },
    z.core.$strict
  >
> = z
  .strictObject({
    autoFetch: z.boolean().default(true),
    intervalSeconds: z.number().int().min(30).default(300),
    /** Keep an IMAP IDLE connection on INBOX and sync as soon as new mail arrives. */
    idle: z.boolean().default(false),
  })
  .prefault({});
export type Schedule = z.infer<typeof ScheduleSchema>;

/**
 * App-only (client-credentials) OAuth access for every mailbox of an instance: the worker logs in
 * with the app's own access token (XOAUTH2, the mailbox's address as user), no owner grant needed.
 */
export const AppOnlyOAuthSchema: z.ZodObject<
  { provider: z.ZodString; scopes: z.ZodOptional<z.ZodArray<z.ZodString>> },
  z.core.$strict
> = z
  .strictObject({
    provider: SlugSchema.describe(
      "Id in oauth.providers (microsoft or oidc) whose app holds the tenant's permission",
    ),
    scopes: z
      .array(_safeString(512).min(1))
      .min(1)
      .optional()
      .describe(
        "Scopes of the client-credentials request; omitted: https://outlook.office365.com/.default for microsoft, none for oidc",
      ),
  })
  .describe(
    "App-only (client-credentials) access: mailboxes with auth method oauth2 log in with the app's token, without an owner grant",
  );
export type AppOnlyOAuth = z.infer<typeof AppOnlyOAuthSchema>;

/** A group of mailboxes with shared defaults (folder policy, schedule, SMTP at instance level). */
export const InstanceSchema: z.ZodObject<
  {
    id: z.ZodString;
    label: z.ZodString;
    folderPolicy: typeof FolderPolicySchema;
    schedule: typeof ScheduleSchema;
    deleteAfterFetch: z.ZodDefault<z.ZodBoolean>;
    smtp: z.ZodOptional<typeof SmtpSettingsSchema>;
    routing: z.ZodOptional<typeof RoutingSchema>;
    retention: z.ZodOptional<typeof RetentionSchema>;
    oauthAppOnly: z.ZodOptional<typeof AppOnlyOAuthSchema>;
    addressCase: z.ZodOptional<z.ZodEnum<{ insensitive: "insensitive"; sensitive: "sensitive" }>>;
  },
  z.core.$strict
> = z.strictObject({
  id: SlugSchema,
  label: _label,
  folderPolicy: FolderPolicySchema,
  schedule: ScheduleSchema,
  deleteAfterFetch: z.boolean().default(false),
  smtp: SmtpSettingsSchema.optional(),
  routing: RoutingSchema.optional().describe("Which sinks a collected message goes to; omitted: every sink"),
  retention: RetentionSchema.optional(),
  oauthAppOnly: AppOnlyOAuthSchema.optional(),
  addressCase: z
    .enum(["insensitive", "sensitive"])
    .optional()
    .describe(
      "How addresses are compared in this instance: Ann@ and ann@ are one mailbox (insensitive) or two (sensitive); omitted: insensitive",
    ),
});
export type Instance = z.infer<typeof InstanceSchema>;

/** A scheduled registration window; `until` is after `from`. */
export const RegistrationWindowSchema: z.ZodObject<
  { from: z.ZodISODateTime; until: z.ZodISODateTime },
  z.core.$strict
> = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }),
  })
  .refine(
    (w) => {
      const [from, until] = [Date.parse(w.from), Date.parse(w.until)];
      return Number.isNaN(from) || Number.isNaN(until) || until > from;
    },
    { message: "must be after from", path: ["until"] },
  );
export type RegistrationWindow = z.infer<typeof RegistrationWindowSchema>;

const _domain = z.string().transform((value, ctx) => {
  try {
    return normalizeDomain(value);
  } catch (error) {
    if (!isMailregError(error, "ADDRESS_INVALID")) throw error;
    ctx.addIssue({ code: "custom", message: `must be a domain name (${String(error.details?.reason)})` });
    return z.NEVER;
  }
});

/** The public registration page. */
export const RegistrationSettingsSchema: z.ZodPrefault<
  z.ZodObject<
    {
      enabled: z.ZodDefault<z.ZodBoolean>;
      windows: z.ZodDefault<z.ZodArray<typeof RegistrationWindowSchema>>;
      templates: z.ZodDefault<z.ZodArray<z.ZodString>>;
      allowCustomServer: z.ZodDefault<z.ZodBoolean>;
      allowedDomains: z.ZodDefault<z.ZodArray<z.ZodPipe<z.ZodString, z.ZodTransform<string, string>>>>;
      verifyOnSubmit: z.ZodDefault<z.ZodBoolean>;
      allowPrivateNetworks: z.ZodDefault<z.ZodBoolean>;
      allowedPorts: z.ZodDefault<z.ZodUnion<readonly [z.ZodLiteral<"any">, z.ZodArray<z.ZodNumber>]>>;
      dnsServers: z.ZodDefault<z.ZodArray<z.ZodString>>;
      allowInsecureServers: z.ZodDefault<z.ZodBoolean>;
      allowUnusualAddresses: z.ZodDefault<z.ZodBoolean>;
      verifyLimits: z.ZodPrefault<
        z.ZodObject<
          {
            windowSeconds: z.ZodDefault<z.ZodNumber>;
            perAddress: z.ZodDefault<z.ZodNumber>;
            perServerFailures: z.ZodDefault<z.ZodNumber>;
          },
          z.core.$strict
        >
      >;
      rateLimit: z.ZodPrefault<
        z.ZodObject<
          { windowSeconds: z.ZodDefault<z.ZodNumber>; max: z.ZodDefault<z.ZodNumber> },
          z.core.$strict
        >
      >;
    },
    z.core.$strict
  >
> = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Master switch; while true, registration is open inside any window, or always if none"),
    windows: z.array(RegistrationWindowSchema).default([]),
    templates: z
      .array(SlugSchema)
      .default([])
      .refine((a) => new Set(a).size === a.length, { message: "must not repeat a template" })
      .describe("Ids of the server templates offered to owners"),
    allowCustomServer: z.boolean().default(false).describe("Whether owners may type in another server"),
    allowedDomains: z
      .array(_domain)
      .default([])
      .describe("Address domains accepted (exact, IDNA-normalised); empty accepts any"),
    verifyOnSubmit: z
      .boolean()
      .default(false)
      .describe("Log in to the server before accepting a registration"),
    allowPrivateNetworks: z
      .boolean()
      .default(false)
      .describe("Whether a typed-in server may be on a private, loopback or link-local address"),
    allowedPorts: z
      .union([z.literal("any"), z.array(PortSchema)])
      .default([143, 993, 110, 995, 25, 465, 587])
      .describe(
        'Ports a typed-in server may use (the configured templates\' ports are always allowed); "any" for every port',
      ),
    dnsServers: z
      .array(_safeString(300).min(1))
      .default([])
      .describe(
        "DNS servers (host or host:port) that resolve typed-in server names, once per connection; empty: the system's resolver",
      ),
    allowUnusualAddresses: z
      .boolean()
      .default(false)
      .describe(
        'Whether quoted local parts ("x y"@…), address literals (a@[127.0.0.1]) and dotless domains are accepted',
      ),
    allowInsecureServers: z
      .boolean()
      .default(false)
      .describe('Whether a typed-in server may use security "none" (the password would travel in clear)'),
    verifyLimits: z
      .strictObject({
        windowSeconds: z.number().int().min(1).default(900),
        perAddress: z.number().int().min(1).default(5).describe("Verify attempts per address in the window"),
        perServerFailures: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe("Failed verify attempts per target server (host:port) in the window, from all clients"),
      })
      .prefault({})
      .describe("Verify-on-submit limits besides the per-client rate limit: against password spraying"),
    rateLimit: z
      .strictObject({
        windowSeconds: z.number().int().min(1).default(600),
        max: z.number().int().min(1).default(10),
      })
      .prefault({})
      .describe("Submissions allowed per client within windowSeconds"),
  })
  .prefault({});
export type RegistrationSettings = z.infer<typeof RegistrationSettingsSchema>;

const _oauthCommon = {
  clientId: _safeString(512).min(1),
  clientSecret: z.string().min(1).max(4096).optional(),
  redirectUri: _httpUrl,
  scopes: z.array(_safeString(512).min(1)).default([]).describe("Empty: the provider's default mail scopes"),
};

/**
 * An OAuth 2.0 app registered with a provider, as core sees it without a registry: the fields every
 * provider takes, a `kind`, and that kind's own options beside them (Microsoft's `tenant`, an OIDC
 * `issuer`), which the provider file of `@mailreg/oauth` checks ({@link configSchema} with the
 * registries).
 */
export const OAuthProviderConfigSchema: z.ZodObject<
  {
    kind: z.ZodString;
    clientId: z.ZodString;
    clientSecret: z.ZodOptional<z.ZodString>;
    redirectUri: z.ZodURL;
    scopes: z.ZodDefault<z.ZodArray<z.ZodString>>;
  },
  z.core.$loose
> = z.looseObject({
  kind: SlugSchema.describe("The provider's kind (a key of the OAuth provider registry)"),
  ..._oauthCommon,
});
export type OAuthProviderConfig = z.infer<typeof OAuthProviderConfigSchema>;

const _DB_SCHEMES = /^(?:libsql|https?|wss?):$/;
const _isDatabaseUrl = (url: string): boolean =>
  url === ":memory:" ||
  (url.startsWith("file:") && url.length > 5) ||
  (URL.canParse(url) && _DB_SCHEMES.test(new URL(url).protocol) && new URL(url).host !== "");

const _hash = z
  .string()
  .regex(
    /^\$?[a-z0-9-]+[$:]\S{16,}$/,
    "must be a hash (scheme$…, as hashPassword and hashToken make), never a clear secret",
  );
const _uniqueNames = (a: { name: string }[]): boolean => new Set(a.map((x) => x.name)).size === a.length;

function _buildConfigSchema(connectors: ConnectorRegistries | undefined): typeof ConfigSchema {
  // with registries the entries are exact unions; their output has the generic shape (the types)
  const servers = (
    connectors === undefined ? ServerTemplateSchema : _serverTemplateFor(connectors.sources)
  ) as typeof ServerTemplateSchema;
  const sink = (
    connectors === undefined ? SinkConfigSchema : sinkEntrySchema(connectors.sinks)
  ) as typeof SinkConfigSchema;
  const provider = (
    connectors === undefined
      ? OAuthProviderConfigSchema
      : connectorEntrySchema("OAuth provider kind", connectors.providers, _oauthCommon)
  ) as typeof OAuthProviderConfigSchema;
  return z
    .strictObject({
      $schema: z.string().optional().describe("Path or URL of config.schema.json, for editors"),
      database: z
        .strictObject({
          url: z
            .string()
            .default("file:./data/mailreg.db")
            .refine(_isDatabaseUrl, {
              message: "must be a file:, libsql:, http(s): or ws(s): URL, or :memory:",
            })
            .describe("libSQL URL; a relative file: path is relative to the config file"),
          authToken: z.string().min(1).optional(),
        })
        .prefault({}),
      keys: z
        .strictObject({
          publicKeyFile: z.string().min(1).default("./keys/registry.public.jwk"),
          privateKeyDir: z
            .string()
            .min(1)
            .default("./keys/private")
            .describe("Every *.jwk in it is a private key; a registration-only site has none"),
          sessionKeyFile: z
            .string()
            .min(1)
            .default("./keys/admin-session.key")
            .describe(
              "The admin session signing key (created 0600 on first start); every app process sharing the database needs the same file",
            ),
          passphrase: z.string().min(1).optional().describe("For passphrase-protected private keys"),
        })
        .prefault({}),
      registration: RegistrationSettingsSchema,
      servers: z.array(servers).default([]),
      instances: z.array(InstanceSchema).default([]),
      sinks: z
        .record(SlugSchema, sink)
        .default({})
        .describe("Where collected mail goes besides the store, by id (instances route to them)"),
      smtp: z
        .strictObject({ company: SmtpSettingsSchema.optional(), default: SmtpSettingsSchema.optional() })
        .prefault({}),
      oauth: z.strictObject({ providers: z.record(SlugSchema, provider).default({}) }).prefault({}),
      worker: z
        .strictObject({
          concurrency: z.number().int().min(1).max(256).default(4),
          intervalSeconds: z.number().int().min(30).default(300),
          alwaysDeleteAfterFetch: z
            .boolean()
            .default(false)
            .describe("Forces delete-after-fetch on every mailbox (MultiPOP's global override)"),
          leaseSeconds: z.number().int().min(10).default(120),
        })
        .prefault({}),
      admin: z
        .strictObject({
          users: z
            .array(z.strictObject({ name: _safeString(200).min(1), passwordHash: _hash }))
            .default([])
            .refine(_uniqueNames, { message: "must not repeat a name" }),
          tokens: z
            .array(z.strictObject({ name: _safeString(200).min(1), hash: _hash }))
            .default([])
            .refine(_uniqueNames, { message: "must not repeat a name" }),
          session: z
            .strictObject({
              cookieName: z
                .string()
                .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a cookie name: letters, digits, _ and -")
                .default("mailreg_session"),
              maxAgeSeconds: z.number().int().min(60).default(28_800),
            })
            .prefault({}),
        })
        .prefault({}),
      server: z
        .strictObject({
          host: HostSchema.default("127.0.0.1"),
          port: z.number().int().min(0).max(65535).default(8080).describe("0 picks a free port"),
          publicUrl: _httpUrl.optional().describe("The URL users reach this server at"),
          trustedProxies: z
            .array(_safeString(64).min(1))
            .default([])
            .describe(
              "Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For / Forwarded header names the client; from anyone else they are ignored",
            ),
        })
        .prefault({}),
    })
    .superRefine((config, ctx) => _crossReferences(config, ctx, connectors), { when: () => true });
}

/**
 * The whole `mailreg.config.json`, as core checks it without connector registries: connector
 * sections (`sinks`, `oauth.providers`, a server's `protocol`) by their generic shape, and every
 * server template's port given. {@link configSchema} builds the schema that checks them against the
 * registries.
 */
export const ConfigSchema: z.ZodObject<
  {
    $schema: z.ZodOptional<z.ZodString>;
    database: z.ZodPrefault<
      z.ZodObject<{ url: z.ZodDefault<z.ZodString>; authToken: z.ZodOptional<z.ZodString> }, z.core.$strict>
    >;
    keys: z.ZodPrefault<
      z.ZodObject<
        {
          publicKeyFile: z.ZodDefault<z.ZodString>;
          privateKeyDir: z.ZodDefault<z.ZodString>;
          sessionKeyFile: z.ZodDefault<z.ZodString>;
          passphrase: z.ZodOptional<z.ZodString>;
        },
        z.core.$strict
      >
    >;
    registration: typeof RegistrationSettingsSchema;
    servers: z.ZodDefault<z.ZodArray<typeof ServerTemplateSchema>>;
    instances: z.ZodDefault<z.ZodArray<typeof InstanceSchema>>;
    sinks: z.ZodDefault<z.ZodRecord<z.ZodString, typeof SinkConfigSchema>>;
    smtp: z.ZodPrefault<
      z.ZodObject<
        {
          company: z.ZodOptional<typeof SmtpSettingsSchema>;
          default: z.ZodOptional<typeof SmtpSettingsSchema>;
        },
        z.core.$strict
      >
    >;
    oauth: z.ZodPrefault<
      z.ZodObject<
        { providers: z.ZodDefault<z.ZodRecord<z.ZodString, typeof OAuthProviderConfigSchema>> },
        z.core.$strict
      >
    >;
    worker: z.ZodPrefault<
      z.ZodObject<
        {
          concurrency: z.ZodDefault<z.ZodNumber>;
          intervalSeconds: z.ZodDefault<z.ZodNumber>;
          alwaysDeleteAfterFetch: z.ZodDefault<z.ZodBoolean>;
          leaseSeconds: z.ZodDefault<z.ZodNumber>;
        },
        z.core.$strict
      >
    >;
    admin: z.ZodPrefault<
      z.ZodObject<
        {
          users: z.ZodDefault<
            z.ZodArray<z.ZodObject<{ name: z.ZodString; passwordHash: z.ZodString }, z.core.$strict>>
          >;
          tokens: z.ZodDefault<
            z.ZodArray<z.ZodObject<{ name: z.ZodString; hash: z.ZodString }, z.core.$strict>>
          >;
          session: z.ZodPrefault<
            z.ZodObject<
              { cookieName: z.ZodDefault<z.ZodString>; maxAgeSeconds: z.ZodDefault<z.ZodNumber> },
              z.core.$strict
            >
          >;
        },
        z.core.$strict
      >
    >;
    server: z.ZodPrefault<
      z.ZodObject<
        {
          host: z.ZodDefault<z.ZodString>;
          port: z.ZodDefault<z.ZodNumber>;
          publicUrl: z.ZodOptional<z.ZodURL>;
          trustedProxies: z.ZodDefault<z.ZodArray<z.ZodString>>;
        },
        z.core.$strict
      >
    >;
  },
  z.core.$strict
> = _buildConfigSchema(undefined);

/**
 * The schema of `mailreg.config.json` checked against connector registries: a server's protocol is
 * one of the sources (an omitted port is that source's default), a sink or OAuth provider entry is
 * one of the registered kinds with that kind's options. Without registries: {@link ConfigSchema}.
 *
 * @param connectors the sources, sinks and OAuth providers (`SOURCES` and `SINKS` of
 *   `@mailreg/imap-sync`, `OAUTH_PROVIDERS` of `@mailreg/oauth`)
 * @returns the schema; its output is a {@link Config}
 * @example
 * ```ts
 * import { configSchema } from "@mailreg/core";
 * import { z } from "zod";
 * const sinks = new Map([["log", { kind: "log", label: "Log", options: z.strictObject({ level: z.string() }) }]]);
 * const schema = configSchema({ sources: new Map(), sinks, providers: new Map() });
 * console.log(schema.safeParse({ sinks: { out: { kind: "log", levl: "info" } } }).success); // false
 * ```
 */
export function configSchema(connectors?: ConnectorRegistries): z.ZodType<Config, ConfigInput> {
  return connectors === undefined
    ? ConfigSchema
    : (_buildConfigSchema(connectors) as unknown as z.ZodType<Config, ConfigInput>);
}

/** A valid, complete config (defaults filled in). */
export type Config = z.infer<typeof ConfigSchema>;
/** What a server template in a config file may contain: with a source registry the port may be left out. */
export type ServerTemplateInput = Omit<z.input<typeof ServerTemplateSchema>, "port"> & { port?: number };
/** What a config file may contain (defaults may be left out). */
export type ConfigInput = Omit<z.input<typeof ConfigSchema>, "servers"> & {
  servers?: ServerTemplateInput[] | undefined;
};

function _ids(list: unknown): (string | undefined)[] {
  if (!Array.isArray(list)) return [];
  return list.map((x: unknown) =>
    typeof x === "object" && x !== null && typeof (x as { id?: unknown }).id === "string"
      ? (x as { id: string }).id
      : undefined,
  );
}

interface _IssueSink {
  addIssue(issue: { code: "custom"; message: string; path: (string | number)[] }): void;
}

// Runs even when other parts of the config failed, so it sees possibly malformed values.
function _crossReferences(
  config: unknown,
  ctx: _IssueSink,
  connectors: ConnectorRegistries | undefined,
): void {
  // runs even when the shape check failed (`when`): a file holding `null` or a string is no object
  if (typeof config !== "object" || config === null) return;
  const raw = config as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const section of ["servers", "instances"] as const) {
    const seen = new Map<string, number>();
    _ids(raw[section]).forEach((id, i) => {
      if (id === undefined) return;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else
        ctx.addIssue({
          code: "custom",
          message: `duplicate id "${id}" (also ${section}[${first}])`,
          path: [section, i, "id"],
        });
    });
  }
  const serverIds = new Set(_ids(raw.servers));
  const registration = raw.registration;
  const templates = registration?.templates;
  if (Array.isArray(templates)) {
    templates.forEach((id: unknown, i) => {
      if (typeof id === "string" && !serverIds.has(id)) {
        ctx.addIssue({
          code: "custom",
          message: `no server template "${id}" in servers`,
          path: ["registration", "templates", i],
        });
      }
    });
    if (registration?.enabled === true && templates.length === 0 && registration.allowCustomServer !== true) {
      ctx.addIssue({
        code: "custom",
        message: "registration is enabled but offers no server: add templates or set allowCustomServer",
        path: ["registration", "templates"],
      });
    }
  }
  for (const issue of unknownSinkReferences(raw)) ctx.addIssue({ code: "custom", ...issue });
  const providers = raw.oauth?.providers;
  const servers = raw.servers;
  if (Array.isArray(servers)) {
    servers.forEach((server: unknown, i) => {
      const provider = (server as { oauthProvider?: unknown } | null)?.oauthProvider;
      if (typeof provider !== "string") return;
      if (typeof providers !== "object" || providers === null || !Object.hasOwn(providers, provider)) {
        ctx.addIssue({
          code: "custom",
          message: `no provider "${provider}" in oauth.providers`,
          path: ["servers", i, "oauthProvider"],
        });
      }
    });
  }
  _appOnlyProviders(raw.instances, providers, ctx, connectors);
}

// instances[].oauthAppOnly.provider must name a provider that offers client credentials
function _appOnlyProviders(
  instances: unknown,
  providers: unknown,
  ctx: _IssueSink,
  connectors: ConnectorRegistries | undefined,
): void {
  if (!Array.isArray(instances)) return;
  const known = typeof providers === "object" && providers !== null ? providers : {};
  instances.forEach((instance: unknown, i) => {
    const provider = (instance as { oauthAppOnly?: { provider?: unknown } } | null)?.oauthAppOnly?.provider;
    if (typeof provider !== "string") return;
    const path = ["instances", i, "oauthAppOnly", "provider"];
    if (!Object.hasOwn(known, provider)) {
      ctx.addIssue({ code: "custom", message: `no provider "${provider}" in oauth.providers`, path });
    } else {
      const kind = (known as Record<string, { kind?: unknown } | undefined>)[provider]?.kind;
      const info = typeof kind === "string" ? connectors?.providers.get(kind) : undefined;
      if (info === undefined || info.appOnly) return;
      const able = [...(connectors?.providers.values() ?? [])].filter((p) => p.appOnly).map((p) => p.kind);
      const message = `provider "${provider}" is of kind ${kind}: ${info.label} offers no app-only (client-credentials) access to IMAP or SMTP; use a provider of kind ${able.join(" or ")}`;
      ctx.addIssue({ code: "custom", message, path });
    }
  });
}

/** The outcome of {@link checkConfig}: a config, or every problem found. */
export type ConfigCheck = { ok: true; config: Config } | { ok: false; issues: ValidationIssue[] };

/**
 * Validates a config value without throwing: every problem at once, or the complete config.
 *
 * @param value the parsed JSON of a config file (after environment overrides)
 * @param connectors the registries to check connector sections against (see {@link configSchema});
 *   omitted: their generic shape only
 * @returns `{ ok: true, config }` or `{ ok: false, issues }`
 */
export function checkConfig(value: unknown, connectors?: ConnectorRegistries): ConfigCheck {
  const result = configSchema(connectors).safeParse(value);
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, issues: _issueList(result.error.issues) };
}

/**
 * The `CONFIG_INVALID` error for a list of problems: `details.issues` holds them and the message
 * lists one `path: message` line each.
 *
 * @param issues the problems
 * @param source where the config came from, for the first line of the message
 * @returns the error
 */
export function configInvalidError(issues: ValidationIssue[], source = "The configuration"): MailregError {
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join("\n");
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return new MailregError("CONFIG_INVALID", `${source} is not valid (${count}):\n${lines}`, {
    details: { issues },
  });
}

/**
 * Validates a config value (pure: no file or environment access).
 *
 * @param value the parsed JSON of a config file
 * @param connectors the registries to check connector sections against (see {@link configSchema});
 *   omitted: their generic shape only (and every server template must give its port)
 * @returns the complete config, defaults filled in
 * @throws {MailregError} CONFIG_INVALID listing every problem in `details.issues`
 * @example
 * ```ts
 * import { validateConfig } from "@mailreg/core";
 * const config = validateConfig({ server: { port: 9000 } });
 * console.log(config.server.host, config.server.port); // 127.0.0.1 9000
 * ```
 */
export function validateConfig(value: unknown, connectors?: ConnectorRegistries): Config {
  const result = checkConfig(value, connectors);
  if (!result.ok) throw configInvalidError(result.issues);
  return result.config;
}

/**
 * The config that `{}` stands for: every default.
 *
 * @returns a fresh default config
 */
export function defaultConfig(): Config {
  return validateConfig({});
}

/**
 * The JSON Schema of the config file (draft 2020-12), emitted from {@link configSchema}. Given the
 * registries, it lists every registered protocol, sink kind and OAuth provider kind with that
 * connector's options (what `mailreg config schema` writes); without, connector entries are their
 * generic shape (what `@mailreg/core/config.schema.json` holds). It describes the input side: keys
 * with defaults are optional.
 *
 * @param connectors the registries whose connectors' options to include
 * @returns the JSON Schema as a plain object
 */
export function configJsonSchema(connectors?: ConnectorRegistries): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema(connectors), { io: "input", target: "draft-2020-12" }),
    title: "mailreg.config.json",
    description: "Configuration of mailreg (see @mailreg/core)",
  };
}
