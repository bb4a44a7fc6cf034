/**
 * Refuses a registration while no window is open: WINDOW_CLOSED (403), saying when the next opens.
 *
 * @module
 */
import { type Config, MailregError } from "@mailreg/core";
import type { Store } from "@mailreg/store";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env.ts";
import { readWindowState } from "./window-store.ts";

/**
 * Throws unless registration is open now.
 *
 * @param ctx store, config, clock
 * @throws {MailregError} WINDOW_CLOSED with `details.nextOpen` (an ISO time or null)
 */
export async function requireOpen(ctx: { store: Store; config: Config; clock: () => Date }): Promise<void> {
  const state = await readWindowState(ctx.store, ctx.config, ctx.clock());
  if (state.open) return;
  const when = state.nextOpen === null ? "no window is scheduled" : `the next window opens ${state.nextOpen}`;
  throw new MailregError("WINDOW_CLOSED", `Registration is closed: ${when}`, {
    details: { nextOpen: state.nextOpen },
  });
}

/**
 * {@link requireOpen} as route middleware.
 *
 * @param ctx store, config, clock
 * @returns the middleware
 */
export function windowGuard(ctx: { store: Store; config: Config; clock: () => Date }) {
  return createMiddleware<AppEnv>(async function windowGuard(_c, next) {
    await requireOpen(ctx);
    await next();
  });
}
