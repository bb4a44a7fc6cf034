/**
 * One-time messages across a redirect (post/redirect/get), in a short-lived cookie.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { hrefOf } from "./base-path.tsx";

/** A message shown once on the next page. */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

const _COOKIE = "mailreg_flash";
const _MAX = 20;

/**
 * Keeps messages for the next page.
 *
 * @param c the request context
 * @param messages the messages (at most 20 are kept)
 */
export function setFlash(c: Context, messages: readonly Flash[]): void {
  const kept = messages.slice(0, _MAX).map((m) => ({ kind: m.kind, text: m.text.slice(0, 300) }));
  setCookie(c, _COOKIE, encodeURIComponent(JSON.stringify(kept)), {
    path: hrefOf(c, "/admin"),
    httpOnly: true,
    sameSite: "Strict",
    maxAge: 60,
  });
}

/**
 * The messages kept for this page, removing them.
 *
 * @param c the request context
 * @returns the messages (empty when none)
 */
export function takeFlash(c: Context): Flash[] {
  const raw = getCookie(c, _COOKIE);
  if (raw === undefined) return [];
  deleteCookie(c, _COOKIE, { path: hrefOf(c, "/admin") });
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(raw));
    return Array.isArray(parsed)
      ? parsed.filter(
          (m): m is Flash => (m?.kind === "ok" || m?.kind === "error") && typeof m?.text === "string",
        )
      : [];
  } catch {
    return [];
  }
}
