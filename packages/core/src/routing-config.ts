/**
 * The config of where collected mail goes besides the store: named sinks (top-level `sinks`), each
 * instance's routing rules (which sinks a message goes to, first match wins) and its retention
 * (how long raw sources and messages are kept). Part of {@link ConfigSchema}.
 *
 * Secrets are never in the file: a webhook names the environment variable holding its HMAC secret.
 *
 * @module
 */
import { z } from "zod";
import { _safeString } from "./_zod.ts";
import { type ConfiguredConnectorInfo, unknownKindMessage } from "./connectors.ts";

const _id = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be a slug: a-z, 0-9 and inner '-', at most 64");
const _text = _safeString(1000).min(1);

/**
 * A configured sink, as core sees it without a registry: a `kind` and that kind's options beside it
 * (`{ "kind": "maildir", "root": "/var/mail-export" }`). Which kinds exist and what options each
 * takes is the sink's own business: `@mailreg/imap-sync`'s `SINKS` registry; {@link sinkEntrySchema}
 * builds the exact schema from it.
 */
export const SinkConfigSchema: z.ZodObject<{ kind: z.ZodString }, z.core.$loose> = z.looseObject({
  kind: _id.describe("The sink's kind (a key of the sink registry)"),
});
/** A configured sink: its kind and that kind's options. */
export type SinkConfigEntry = z.infer<typeof SinkConfigSchema>;

/**
 * The schema of one entry of a registry-checked section (`sinks.<id>`, `oauth.providers.<id>`):
 * exactly one of the registered kinds with its own options (a discriminated union on `kind`, so the
 * emitted JSON Schema lists every kind's options), or {@link SinkConfigSchema}'s generic shape when
 * the registry is empty.
 *
 * @param what the registry's name in messages ("sink kind", "OAuth provider kind")
 * @param registry the connectors by kind
 * @param base fields every kind shares, checked before the kind's own (e.g. an OAuth app's client id)
 * @returns the schema
 */
export function connectorEntrySchema(
  what: string,
  registry: ReadonlyMap<string, ConfiguredConnectorInfo>,
  base: z.ZodRawShape = {},
): z.ZodType<SinkConfigEntry> {
  const options = [...registry.values()].map((info) =>
    z
      .strictObject({ ...base })
      .safeExtend(info.options.shape)
      .safeExtend({ kind: z.literal(info.kind).describe(info.label) }),
  );
  const [first, ...rest] = options;
  if (first === undefined) return SinkConfigSchema;
  return z.discriminatedUnion("kind", [first, ...rest], {
    error: (issue) =>
      issue.code === "invalid_union" && "note" in issue && issue.note === "No matching discriminator"
        ? unknownKindMessage(what, (issue.input as { kind?: unknown } | undefined)?.kind, registry)
        : undefined,
  }) as unknown as z.ZodType<SinkConfigEntry>;
}

/**
 * The schema of a `sinks` entry checked against a sink registry.
 *
 * @param sinks the sink registry (kind → connector)
 * @returns the schema: one registered kind and its options
 */
export function sinkEntrySchema(
  sinks: ReadonlyMap<string, ConfiguredConnectorInfo>,
): z.ZodType<SinkConfigEntry> {
  return connectorEntrySchema("sink kind", sinks);
}

/** What a routing rule matches; every given field must match (an empty match matches every message). */
export const RoutingMatchSchema: z.ZodObject<
  {
    mailbox: z.ZodOptional<z.ZodString>;
    folder: z.ZodOptional<z.ZodString>;
    from: z.ZodOptional<z.ZodString>;
    to: z.ZodOptional<z.ZodString>;
    subject: z.ZodOptional<z.ZodString>;
    header: z.ZodOptional<
      z.ZodObject<{ name: z.ZodString; value: z.ZodOptional<z.ZodString> }, z.core.$strict>
    >;
    minSize: z.ZodOptional<z.ZodNumber>;
    maxSize: z.ZodOptional<z.ZodNumber>;
    hasAttachment: z.ZodOptional<z.ZodBoolean>;
  },
  z.core.$strict
> = z
  .strictObject({
    mailbox: _text
      .optional()
      .describe(
        "The collected mailbox's SMTP address, or its domain as '@example.org' (case-insensitive): a mailbox-level rule",
      ),
    folder: _text
      .optional()
      .describe("The folder path, exactly, or a prefix ending in the delimiter and '*'"),
    from: _text.optional().describe("A From address, or a domain as '@example.org' (case-insensitive)"),
    to: _text.optional().describe("A To or Cc address, or a domain as '@example.org' (case-insensitive)"),
    subject: _text.optional().describe("A case-insensitive substring of the subject"),
    header: z
      .strictObject({
        name: z.string().regex(/^[!-9;-~]+$/, "must be a header field name"),
        value: _text.optional().describe("A case-insensitive substring; omitted: the header is present"),
      })
      .optional(),
    minSize: z.number().int().min(0).optional().describe("Bytes, inclusive"),
    maxSize: z.number().int().min(0).optional().describe("Bytes, inclusive"),
    hasAttachment: z.boolean().optional(),
  })
  .refine((m) => m.minSize === undefined || m.maxSize === undefined || m.minSize <= m.maxSize, {
    message: "must not be less than minSize",
    path: ["maxSize"],
  });
export type RoutingMatch = z.infer<typeof RoutingMatchSchema>;

const _sinkIds = z
  .array(_id)
  .refine((a) => new Set(a).size === a.length, { message: "must not repeat a sink" });

/**
 * One rule: what it matches, and the sinks it sends to or `action: "drop"` (the store keeps it).
 * Rules live in the instance; a rule whose match names a `mailbox` is that mailbox's own (mailboxes
 * are registered by their owners and kept in the store, so their rules are kept with the instance's).
 */
export const RoutingRuleSchema: z.ZodUnion<
  readonly [
    z.ZodObject<{ match: typeof RoutingMatchSchema; sinks: z.ZodArray<z.ZodString> }, z.core.$strict>,
    z.ZodObject<{ match: typeof RoutingMatchSchema; action: z.ZodLiteral<"drop"> }, z.core.$strict>,
  ]
> = z.union([
  z.strictObject({ match: RoutingMatchSchema, sinks: _sinkIds.describe("Ids in the top-level sinks") }),
  z.strictObject({
    match: RoutingMatchSchema,
    action: z.literal("drop").describe("To no sink (the message stays in the store)"),
  }),
]);
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

/** An instance's routing: ordered rules (first match wins), and the sinks of a message no rule matches. */
export const RoutingSchema: z.ZodObject<
  {
    rules: z.ZodDefault<z.ZodArray<typeof RoutingRuleSchema>>;
    default: z.ZodOptional<z.ZodArray<z.ZodString>>;
  },
  z.core.$strict
> = z.strictObject({
  rules: z.array(RoutingRuleSchema).default([]),
  default: _sinkIds.optional().describe("Omitted: every configured sink"),
});
export type Routing = z.infer<typeof RoutingSchema>;

/** An instance's retention: how many days raw sources, and whole messages, are kept. */
export const RetentionSchema: z.ZodObject<
  { rawDays: z.ZodOptional<z.ZodNumber>; deleteDays: z.ZodOptional<z.ZodNumber> },
  z.core.$strict
> = z
  .strictObject({
    rawDays: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Raw sources older than this are purged; metadata and the search index stay"),
    deleteDays: z.number().int().min(1).optional().describe("Messages older than this are deleted"),
  })
  .refine((r) => r.rawDays === undefined || r.deleteDays === undefined || r.deleteDays >= r.rawDays, {
    message: "must not be less than rawDays",
    path: ["deleteDays"],
  });
export type Retention = z.infer<typeof RetentionSchema>;

/**
 * The routing rules (and defaults) that name a sink the config lacks: the config's cross-reference
 * check for `sinks`.
 *
 * @param config the config as parsed so far (may be partly malformed)
 * @returns one problem per unknown sink id, with its path
 * @example
 * ```ts
 * import { unknownSinkReferences } from "@mailreg/core";
 * const problems = unknownSinkReferences({ sinks: {}, instances: [{ routing: { default: ["hook"] } }] });
 * console.log(problems); // [{ message: 'no sink "hook" in sinks', path: ["instances", 0, "routing", "default", 0] }]
 * ```
 */
export function unknownSinkReferences(config: {
  sinks?: unknown;
  instances?: unknown;
}): { message: string; path: (string | number)[] }[] {
  const out: { message: string; path: (string | number)[] }[] = [];
  const sinks = config.sinks;
  const known = (id: string) => typeof sinks === "object" && sinks !== null && Object.hasOwn(sinks, id);
  const check = (ids: unknown, path: (string | number)[]) => {
    if (!Array.isArray(ids)) return;
    ids.forEach((id: unknown, k) => {
      if (typeof id === "string" && !known(id))
        out.push({ message: `no sink "${id}" in sinks`, path: [...path, k] });
    });
  };
  if (!Array.isArray(config.instances)) return out;
  config.instances.forEach((instance: unknown, i) => {
    const routing = (instance as { routing?: { rules?: unknown; default?: unknown } } | null)?.routing;
    if (typeof routing !== "object" || routing === null) return;
    check(routing.default, ["instances", i, "routing", "default"]);
    if (!Array.isArray(routing.rules)) return;
    routing.rules.forEach((rule: unknown, r) => {
      check((rule as { sinks?: unknown } | null)?.sinks, ["instances", i, "routing", "rules", r, "sinks"]);
    });
  });
  return out;
}
