/**
 * What every signed-in admin page starts from, and the form values of a request.
 *
 * @module
 */
import type { Context } from "hono";
import { appUrl } from "../http/base-path.tsx";
import type { AppEnv } from "../http/env.ts";
import { takeFlash } from "../http/flash.ts";
import type { AdminPageBase } from "../views/admin/admin-frame.tsx";

/**
 * The base properties of an admin page (the session is set by the page guard).
 *
 * @param c the request context
 * @returns language, URL, session and one-time messages
 */
export function pageBase(c: Context<AppEnv>): AdminPageBase {
  const session = c.get("session");
  if (session === undefined) throw new Error("pageBase() needs the page guard");
  return { t: c.get("t"), locale: c.get("locale"), url: appUrl(c), session, flash: takeFlash(c) };
}

/**
 * The request's form fields (repeated fields as arrays), parsed once.
 *
 * @param c the request context
 * @returns the fields
 */
export async function formOf(c: Context): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string") out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === "string");
  }
  return out;
}

/**
 * One text field of a form (the first, when repeated).
 *
 * @param form the fields
 * @param name the field's name
 * @returns its text, or "" when absent
 */
export function textOf(form: Record<string, string | string[]>, name: string): string {
  const v = form[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

/**
 * Where to go back to after a form: a path under /admin, else the fallback.
 *
 * @param value the submitted path
 * @param fallback where to go otherwise
 * @returns a safe local path
 */
export function safeBack(value: string, fallback: string): string {
  return /^\/admin(?:[/?]|$)/.test(value) && !value.startsWith("//") ? value : fallback;
}
