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
} from "@mailreg/core";
import { z } from "zod";

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
    protocol: z.enum(["imap", "pop3"]),
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
