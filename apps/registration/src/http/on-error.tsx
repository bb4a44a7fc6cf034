/** @jsxImportSource hono/jsx */
/**
 * The app's one error handler: every thrown error becomes an HTTP status (see `status.ts`) and
 * `{"error": {"code", "message", "fields"?}}` for the API, or an error page for browsers.
 * Unexpected errors are logged by name and stack frames only (their messages may quote input).
 *
 * @module
 */
import { type ErrorCode, isMailregError, type Logger, MailregError } from "@mailreg/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { MessageKey } from "../i18n/en.ts";
import { translator } from "../i18n/i18n.ts";
import { ErrorPage } from "../views/error-page.tsx";
import { appPath, appUrl } from "./base-path.tsx";
import type { AppEnv } from "./env.ts";
import { fieldErrorsOf, fieldMessage } from "./field-errors.ts";
import { renderPage } from "./render.ts";
import { codeOfStatus, statusOf } from "./status.ts";

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    fields?: Record<string, { code: string; message: string }>;
    /** For CONFLICT on apply: the existing mailbox and what applying would replace. */
    details?: { mailboxId: unknown; changes: unknown[] };
  };
}

function _asMailregError(err: unknown): MailregError {
  if (isMailregError(err)) return err;
  if (err instanceof HTTPException) {
    const code = codeOfStatus(err.status);
    return new MailregError(code, code === "VALIDATION" ? err.message : undefined);
  }
  return new MailregError("INTERNAL");
}

/**
 * Whether the answer should be JSON: API, health and metrics paths, or a client that asks for JSON.
 *
 * @param c the request context
 * @returns true for JSON
 */
export function wantsJson(c: Context): boolean {
  const path = appPath(c);
  return (
    path.startsWith("/api/") ||
    path === "/healthz" ||
    path === "/metrics" ||
    c.req.header("accept") === "application/json"
  );
}

/**
 * The JSON error body of an error, messages in the request's language.
 *
 * @param error the error
 * @param c the request context
 * @returns the body
 */
export function errorBody(error: MailregError, c: Context<AppEnv>): ErrorBody {
  const t = c.get("t") ?? translator("en");
  const fields = fieldErrorsOf(error);
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  // what applying would replace on an existing mailbox (no secret: the secret is only named)
  const changes = error.code === "CONFLICT" ? error.details?.changes : undefined;
  if (Array.isArray(changes)) body.error.details = { mailboxId: error.details?.mailboxId, changes };
  if (fields !== undefined) {
    body.error.fields = Object.fromEntries(
      Object.entries(fields).map(([name, f]) => [name, { code: f.code, message: fieldMessage(f, t) }]),
    );
  }
  return body;
}

/**
 * The error handler for `app.onError`.
 *
 * @param logger where unexpected errors are logged
 * @returns the handler
 */
export function errorHandler(logger: Logger) {
  return async (err: unknown, c: Context<AppEnv>): Promise<Response> => {
    const error = _asMailregError(err);
    const status = statusOf(error.code);
    if (!isMailregError(err) && !(err instanceof HTTPException)) {
      const stack = err instanceof Error ? (err.stack ?? "").split("\n").slice(1, 6).join(" | ") : "";
      // Programming errors say what went wrong in code terms; other messages may quote input.
      const coding = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
      logger.error("unexpected error", {
        error: err instanceof Error ? err.name : typeof err,
        ...(coding ? { message: err.message } : {}),
        stack,
        requestId: c.get("requestId"),
      });
    }
    const retry = error.details?.retryAfterSeconds;
    if (typeof retry === "number") c.header("Retry-After", String(retry));
    if (wantsJson(c)) return c.json(errorBody(error, c), status);
    const t = c.get("t") ?? translator("en");
    const key = `error.${error.code}` as MessageKey;
    const message = t(key, { seconds: typeof retry === "number" ? retry : 0 });
    return renderPage(
      c,
      <ErrorPage
        t={t}
        locale={c.get("locale") ?? "en"}
        url={appUrl(c)}
        message={message === key ? error.message : message}
      />,
      status,
    );
  };
}
