/**
 * Refuses a registration while no window is open: WINDOW_CLOSED (403), saying when the next opens.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env.ts";
import type { WindowReader } from "./window-reader.ts";

/**
 * Throws unless registration is open now.
 *
 * @param ctx the window reader
 * @throws {MailregError} WINDOW_CLOSED with `details.nextOpen` (an ISO time or null)
 */
export async function requireOpen(ctx: { windows: WindowReader }): Promise<void> {
  const state = await ctx.windows.state();
  if (state.open) return;
  const when = state.nextOpen === null ? "no window is scheduled" : `the next window opens ${state.nextOpen}`;
  throw new MailregError("WINDOW_CLOSED", `Registration is closed: ${when}`, {
    details: { nextOpen: state.nextOpen },
  });
}

/**
 * {@link requireOpen} as route middleware.
 *
 * @param ctx the window reader
 * @returns the middleware
 */
export function windowGuard(ctx: { windows: WindowReader }) {
  return createMiddleware<AppEnv>(async function windowGuard(_c, next) {
    await requireOpen(ctx);
    await next();
  });
}
