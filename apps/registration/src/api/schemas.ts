/**
 * The JSON shapes of the API, for validation and for the OpenAPI document.
 *
 * @module
 */
import {
  ERROR_CODES,
  REGISTRATION_STATUSES,
  RegistrationRecordSchema,
  RegistrationWindowSchema,
  SMTP_AUTH_METHODS,
} from "@mailreg/core";
import { SMTP_LEVELS } from "@mailreg/smtp-resolver";
import { z } from "zod";
import { protocolNames } from "../connectors.ts";

/** An error answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES]),
      message: z.string(),
      fields: z
        .record(z.string(), z.object({ code: z.string(), message: z.string() }))
        .optional()
        .meta({ description: "Problems by field (`address`, `server.host` …): a stable code and a message" }),
      details: z
        .object({
          mailboxId: z.string(),
          changes: z.array(
            z.object({
              field: z.string(),
              from: z.union([z.string(), z.number(), z.null()]).optional(),
              to: z.union([z.string(), z.number(), z.null()]).optional(),
            }),
          ),
        })
        .optional()
        .meta({
          description:
            "409 on apply: the address's existing mailbox and what applying would replace (the secret is only named); send `replace: true` to confirm",
        }),
    }),
  })
  .meta({ id: "Error" });

/** A registration as stored (the clear fields and the sealed profile; never a secret in the clear). */
export const RegistrationSchema = RegistrationRecordSchema.meta({ id: "Registration" });

/** The answer to a registration. */
export const SubmittedSchema = z
  .object({ id: z.string(), status: z.literal("pending"), receivedAt: z.string() })
  .meta({ id: "Submitted" });

/** Where registration stands. */
export const WindowStateSchema = z
  .object({
    open: z.boolean(),
    mode: z.enum(["open", "closed", "scheduled"]),
    enabled: z
      .boolean()
      .meta({ description: "The config's registration.enabled; when false it is never open" }),
    windows: z.array(z.object({ from: z.string(), until: z.string() })),
    nextOpen: z.string().nullable(),
  })
  .meta({ id: "RegistrationWindowState" });

/** A change of the registration window. */
export const WindowChangeSchema = z
  .union([
    z.strictObject({ open: z.boolean() }),
    z.strictObject({ windows: z.array(RegistrationWindowSchema).max(100) }),
  ])
  .meta({
    id: "RegistrationWindowChange",
    description:
      '`{"open": true|false}` opens or closes by hand; `{"windows": [...]}` sets the schedule and follows it',
  });

/** A status filter. */
export const StatusSchema = z.enum(REGISTRATION_STATUSES);

/** A sync run. */
const SyncRunSchema = z.object({
  id: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(["running", "ok", "failed"]),
  fetched: z.number(),
  deleted: z.number(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
});

/** A mailbox with its sync state (its sealed credentials are left out). */
export const MailboxSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    address: z.string(),
    displayName: z.string().nullable(),
    protocol: z.enum(protocolNames()),
    template: z.string().nullable(),
    host: z.string(),
    port: z.number(),
    security: z.enum(["tls", "starttls", "none"]),
    login: z.string(),
    authMethod: z.enum(["password", "oauth2"]),
    registrationId: z.string(),
    keyId: z.string(),
    autoFetch: z.boolean(),
    intervalSeconds: z.number().nullable(),
    deleteAfterFetch: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    credentialsUpdatedAt: z.string(),
    sync: z.object({
      lastRun: SyncRunSchema.optional(),
      lastError: SyncRunSchema.optional(),
      messages: z.number(),
    }),
  })
  .meta({ id: "Mailbox" });

/** How a mailbox's collection stands (`mailboxSyncState` of `@mailreg/store`). */
const SyncStateSchema = z.object({
  status: z.enum(["never", "running", "ok", "failed"]).meta({ description: "The latest run's status" }),
  fetched: z.number().meta({ description: "New messages the latest run stored" }),
  lastRun: z
    .object({
      id: z.string(),
      status: z.enum(["running", "ok", "failed"]),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      fetched: z.number(),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
    })
    .optional(),
  lastOkAt: z.string().optional(),
  lastError: z
    .object({ code: z.string(), message: z.string(), at: z.string() })
    .optional()
    .meta({ description: "The latest failed run's error (it may be older than the latest run)" }),
  consecutiveFailures: z.number(),
  autoFetch: z.boolean().meta({ description: "Effective: the mailbox's switch and its instance's schedule" }),
  intervalSeconds: z
    .number()
    .meta({ description: "Effective: mailbox → instance schedule → worker default" }),
  requestedAt: z.string().optional().meta({ description: "A pending sync-now request" }),
  next: z.object({
    at: z
      .string()
      .nullable()
      .meta({ description: "Null: nothing will collect it (auto-fetch off, or running)" }),
    reason: z.enum(["running", "requested", "off", "new", "interrupted", "interval", "backoff"]),
  }),
  runningOn: z.string().optional().meta({ description: "The worker collecting it right now" }),
});

/** One mailbox with its collection state (its sealed credentials are left out). */
export const MailboxDetailSchema = MailboxSchema.extend({ state: SyncStateSchema }).meta({
  id: "MailboxDetail",
});

/** Which SMTP server an address sends through, and why (never a level's password). */
export const SmtpResolutionSchema = z
  .object({
    address: z.string(),
    mailbox: z.string().meta({ description: "The mailbox's id" }),
    instance: z.string(),
    resolved: z.boolean().meta({ description: "False: no level of the chain is usable" }),
    level: z.enum(SMTP_LEVELS).optional().meta({ description: "The level that won" }),
    source: z
      .string()
      .optional()
      .meta({ description: "`mailbox`, `template:<id>`, `company`, `instance:<id>` or `default`" }),
    effective: z
      .object({
        host: z.string(),
        port: z.number(),
        security: z.enum(["tls", "starttls", "opportunistic", "none"]),
        securitySource: z.enum(["explicit", "port"]),
        tls: z.object({ verify: z.boolean(), servername: z.string().optional() }),
        auth: z.object({
          method: z.enum(SMTP_AUTH_METHODS),
          user: z.string().optional(),
          credentials: z.enum(["level", "mailbox", "none"]),
        }),
        from: z.string().optional(),
      })
      .optional(),
    passedOver: z
      .array(
        z.object({ level: z.enum(SMTP_LEVELS), source: z.string(), reason: z.string(), detail: z.string() }),
      )
      .meta({ description: "Each level tried before the winner, and why it was passed over" }),
    warnings: z.array(
      z.object({ code: z.string(), severity: z.enum(["warning", "danger"]), message: z.string() }),
    ),
  })
  .meta({ id: "SmtpResolution" });

/** The result of applying a registration. */
export const AppliedSchema = z
  .object({
    registration: RegistrationSchema,
    mailbox: MailboxSchema.omit({ sync: true }),
    created: z.boolean(),
  })
  .meta({ id: "Applied" });

/** The result of a mailbox check. */
export const MailboxCheckSchema = z
  .object({
    mailboxId: z.string(),
    address: z.string(),
    ok: z.boolean(),
    steps: z.array(
      z.object({
        step: z.string().meta({ description: "connect, login, folders, logout …" }),
        ok: z.boolean(),
        detail: z.string().optional(),
        reason: z.enum(["auth", "unreachable", "tls", "protocol"]).optional(),
        message: z.string().optional(),
      }),
    ),
  })
  .meta({ id: "MailboxCheck" });

/** An audit entry. */
export const AuditEntrySchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditEntry" });

/** Error answers, for route descriptions. */
export function errorResponses(...statuses: number[]) {
  const text: Record<number, string> = {
    400: "The input is not valid (`fields` says which)",
    401: "No valid API token or admin session",
    403: "Refused (registration closed, or a cross-site form post)",
    404: "No such item",
    409: "The item's state does not allow this",
    413: "The body is too large",
    422: "Well-formed, but refused (login check failed, unknown instance)",
    429: "Too many requests from this client: see Retry-After",
    503: "This server cannot do this (no private key, no worker, …)",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: text[s] ?? "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );
}
