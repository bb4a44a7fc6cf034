/**
 * The registration site and admin app. `createApp(deps)` builds the Hono app
 * (public page, admin pages, JSON API with OpenAPI, health, metrics) without I/O; `./node`
 * serves it on Node (`startRegistrationServer`), `src/main.deno.ts` on Deno.
 *
 * @module
 */
export { createApp, MAX_BODY_BYTES, type RegistrationApp } from "./app.ts";
export type { AppContext } from "./app-context.ts";
export { CONNECTORS } from "./connectors.ts";
export type {
  AppBindings,
  AppDeps,
  CheckMailbox,
  CheckStep,
  ResolveHost,
  VerifyFailure,
  VerifyLogin,
  VerifyLoginOptions,
  VerifyLoginResult,
} from "./deps.ts";
export type { RequestLogEntry, RequestLogSink } from "./http/request-log.ts";
export { imapSyncChecks, type MailChecksOptions } from "./mail-checks.ts";
export { type AppMetrics, createMetrics } from "./metrics.ts";
export { computeWindowState, type WindowMode, type WindowState } from "./windows/window-state.ts";
export { readWindowState, setSchedule } from "./windows/window-store.ts";
