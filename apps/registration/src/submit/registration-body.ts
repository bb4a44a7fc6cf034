/**
 * The registration request: the JSON body of `POST /api/v1/registrations`, and the same built from
 * the form of `POST /register`. Sizes are capped and control characters refused here; addresses,
 * servers and policy are checked in `check-submission.ts`.
 *
 * @module
 */
import { SECURITIES } from "@mailreg/core";
import { z } from "zod";
import { protocolNames } from "../connectors.ts";
import type { FieldError, FieldErrors } from "../http/field-errors.ts";

// U+FFFD too: it is what bytes that are not UTF-8 (raw or %-encoded in a form) decode to, and no
// one types it, so a field holding one was garbled on the way and is refused rather than stored
// and what makes a name look like another: lone surrogates, bidi controls (U+202A–202E, U+2066–2069,
// U+200E/F) and zero-width characters (U+200B–200D, U+2060–2064, U+FEFF)
const _CONTROL =
  /[\p{Cc}\p{Cs}\u2028\u2029\uFFFD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

function _text(max: number, description: string, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !_CONTROL.test(s), { params: { field: "control-character" } })
    .meta({ description });
}

/** A server typed in by the owner (only where the config allows it). */
export const CustomServerSchema = z
  .strictObject({
    protocol: z
      .enum(protocolNames())
      .meta({ description: "A registered source (SOURCES of @mailreg/imap-sync)" }),
    host: _text(253, "Host name or IP address", 1),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .meta({ description: "Default: the protocol's usual port" }),
    security: z.enum(SECURITIES),
  })
  .meta({ id: "CustomServer" });

/** The body of a registration. */
export const RegistrationBodySchema = z
  .strictObject({
    address: _text(320, "The mailbox's SMTP address", 1),
    displayName: _text(200, "The owner's name").optional(),
    login: _text(320, "Login name; default the address").optional(),
    password: _text(1024, "The mailbox password; sealed, never stored or returned in the clear", 1),
    template: z
      .string()
      .max(64)
      .optional()
      .meta({ description: "A server template id offered by the administrator" }),
    server: CustomServerSchema.optional(),
  })
  .meta({
    id: "RegistrationRequest",
    example: { address: "ann@example.com", displayName: "Ann", password: "…", template: "example-imap" },
  });

/** A registration body. */
export type RegistrationBody = z.infer<typeof RegistrationBodySchema>;

function _at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path)
    v = typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function _fieldError(issue: z.core.$ZodIssue, input: unknown): FieldError {
  const params = (issue as { params?: { field?: FieldError["code"] } }).params;
  if (params?.field !== undefined) return { code: params.field };
  if (issue.path[0] === "server" && issue.path[1] === "port") return { code: "port-range" };
  if (issue.code === "too_big" && typeof issue.maximum === "number")
    return { code: "too-long", max: issue.maximum };
  if (issue.code === "too_small" || (issue.code === "invalid_type" && _at(input, issue.path) === undefined)) {
    return { code: "required" };
  }
  return { code: "invalid" };
}

/**
 * The field problems of zod issues (the first problem of each field).
 *
 * @param issues zod's issues
 * @param input the value that was validated (to tell a missing field from a wrong one)
 * @returns problems by dotted field path (`server.host`)
 */
export function issuesToFields(issues: readonly z.core.$ZodIssue[], input: unknown): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    const keys =
      issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const name = path.map(String).join(".") || "(body)";
      fields[name] ??= _fieldError(issue, input);
    }
  }
  return fields;
}

/**
 * The registration body a form submission stands for: empty optional fields are left out, the
 * server radio is either a template id or `custom` (then `server.*` fields are read).
 *
 * @param form the form fields
 * @returns the body (not yet validated)
 */
export function bodyFromForm(form: Record<string, unknown>): Record<string, unknown> {
  const text = (name: string) => {
    const v = form[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const body: Record<string, unknown> = { address: text("address") ?? "", password: text("password") ?? "" };
  for (const name of ["displayName", "login"]) if (text(name) !== undefined) body[name] = text(name);
  const choice = text("template");
  if (choice === "custom") {
    const port = text("server.port");
    body.server = {
      protocol: text("server.protocol"),
      host: text("server.host") ?? "",
      security: text("server.security"),
      ...(port === undefined ? {} : { port: /^\d{1,5}$/.test(port) ? Number(port) : port }),
    };
  } else if (choice !== undefined) {
    body.template = choice;
  }
  return body;
}
