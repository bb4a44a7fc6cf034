/**
 * The app's dependencies with defaults filled in, plus what the app makes from them (sessions,
 * rate limiters). Built once by `createApp`, without I/O.
 *
 * @module
 */
import { jsonLogger, type Logger, MailregError } from "@mailreg/core";
import { createOAuthProviders, TokenManager } from "@mailreg/oauth";
import type { MailboxActionContext } from "./admin/mailbox-actions.ts";
import { createSessions, type Sessions } from "./auth/sessions.ts";
import type { AppDeps } from "./deps.ts";
import { type RateLimiter, slidingWindow, storeRateLimiter } from "./http/rate-limit.ts";
import { type AppMetrics, createMetrics } from "./metrics.ts";
import { type FlowCookies, flowCookies } from "./oauth/flow-cookie.ts";
import type { OAuthContext } from "./oauth/oauth-registration.ts";
import { registrationWriter } from "./submit/registration-writer.ts";
import { type WindowReader, windowReader } from "./windows/window-reader.ts";

/** Everything routes use. */
export interface AppContext extends OAuthContext, MailboxActionContext {
  /** One provider per entry of `oauth.providers` (sign-in, and access tokens for "check"). */
  oauth: OAuthContext["oauth"];
  logger: Logger;
  metrics: AppMetrics;
  sessions: Sessions;
  timeZone: string;
  resolveSmtp: AppDeps["resolveSmtp"];
  /** The configured sinks (re-run of routing rules, dead-letter retry); undefined: both answer 503. */
  sinks: AppDeps["sinks"];
  /** Shared by POST /register and POST /api/v1/registrations; counted in the store (scope `register`). */
  submitLimiter: RateLimiter;
  /** POST /admin/login; counted in the store (scope `admin-login`). */
  loginLimiter: RateLimiter;
  /** The registration window, read through a short cache. */
  windows: WindowReader;
  /** The OAuth sign-in cookies (state, PKCE verifier, nonce between start and callback). */
  oauthFlows: FlowCookies;
}

/**
 * Fills in defaults and builds sessions and limiters.
 *
 * @param deps the app's dependencies
 * @returns the context
 * @throws {MailregError} DEPENDENCY_MISSING when verify-on-submit is on but no login check is given;
 *   CONFIG_INVALID for an OAuth provider setting its kind cannot use
 */
export function appContext(deps: AppDeps): AppContext {
  const { config } = deps;
  if (config.registration.verifyOnSubmit && deps.verifyLogin === undefined) {
    throw new MailregError(
      "DEPENDENCY_MISSING",
      "registration.verifyOnSubmit is on: createApp needs a verifyLogin function",
    );
  }
  const clock = deps.clock ?? (() => new Date());
  const { max, windowSeconds } = config.registration.rateLimit;
  const now = () => clock().getTime();
  return {
    config,
    store: deps.store,
    keyring: deps.keyring,
    clock,
    verifyLogin: deps.verifyLogin,
    checkMailbox: deps.checkMailbox,
    resolveHost: deps.resolveHost,
    verifyTimeoutMs: deps.verifyTimeoutMs ?? 8000,
    writeRegistration: registrationWriter(deps.store),
    requestSync: deps.requestSync,
    resolveSmtp: deps.resolveSmtp,
    sinks: deps.sinks,
    logger: deps.logger ?? jsonLogger(),
    metrics: deps.metrics ?? createMetrics(),
    sessions: createSessions({ store: deps.store, config, clock, key: deps.sessionKey }),
    timeZone: deps.timeZone ?? "UTC",
    submitLimiter: storeRateLimiter(deps.store, "register", {
      max,
      windowSeconds,
      now,
      trustedProxies: config.server.trustedProxies,
    }),
    verifyLimits: {
      address: slidingWindow({
        max: config.registration.verifyLimits.perAddress,
        windowSeconds: config.registration.verifyLimits.windowSeconds,
        now,
      }),
      serverFailures: slidingWindow({
        max: config.registration.verifyLimits.perServerFailures,
        windowSeconds: config.registration.verifyLimits.windowSeconds,
        now,
      }),
    },
    loginLimiter: storeRateLimiter(deps.store, "admin-login", {
      max: 10,
      windowSeconds: 300,
      now,
      trustedProxies: config.server.trustedProxies,
    }),
    windows: windowReader({ store: deps.store, config, clock, ttlMs: deps.windowCacheMs ?? 1000 }),
    oauth: createOAuthProviders(config.oauth.providers),
    oauthFlows: flowCookies({ store: deps.store, clock }),
    tokens: new TokenManager({ now }),
  };
}
