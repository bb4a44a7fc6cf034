/**
 * `createApp(deps)`: the whole Hono app (public page, admin pages, JSON API, health, metrics),
 * built without I/O: the runtime adapters (`main.node.ts`, `main.deno.ts`) serve it.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { MailregError } from "@mailreg/core";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { messageCsp } from "./admin/message-downloads.ts";
import { adminPages } from "./admin-pages/admin-pages.ts";
import { adminDeadLettersApi } from "./api/admin-dead-letters-api.ts";
import { adminMailboxesApi } from "./api/admin-mailboxes-api.ts";
import { adminMessagesApi } from "./api/admin-messages-api.ts";
import { adminMiscApi } from "./api/admin-misc-api.ts";
import { adminRegistrationsApi } from "./api/admin-registrations-api.ts";
import { adminRoutingApi } from "./api/admin-routing-api.ts";
import { adminWindowApi } from "./api/admin-window-api.ts";
import { metaApi } from "./api/meta-api.tsx";
import { publicApi } from "./api/public-api.ts";
import { type AppContext, appContext } from "./app-context.ts";
import { apiGuard } from "./auth/admin-guard.ts";
import type { AppDeps } from "./deps.ts";
import { MOUNT_POINT_PATTERNS, mountPoint } from "./http/base-path.tsx";
import type { AppEnv } from "./http/env.ts";
import { fieldsError } from "./http/field-errors.ts";
import { localeMiddleware } from "./http/locale.ts";
import { errorHandler } from "./http/on-error.tsx";
import { requestLog, requestLogWriter } from "./http/request-log.ts";
import { isHttps } from "./http/transport.ts";
import { oauthPages } from "./pages/oauth-routes.tsx";
import { registerPages } from "./pages/register-routes.tsx";
import { issuesToFields } from "./submit/registration-body.ts";

/** The largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The app: a Hono app with its OpenAPI registry, and the context its routes share. */
export interface RegistrationApp {
  /** The Hono app: `app.fetch` serves it, `app.request()` tests it. */
  app: OpenAPIHono<AppEnv>;
  /** The filled-in dependencies, sessions and limiters. */
  context: AppContext;
}

function _origins(ctx: AppContext): (origin: string, c: { req: { url: string } }) => boolean {
  const publicUrl = ctx.config.server.publicUrl;
  const configured = publicUrl === undefined ? undefined : new URL(publicUrl).origin;
  return (origin, c) => origin === new URL(c.req.url).origin || origin === configured;
}

/**
 * Builds the app. No I/O happens here: the store, keys and login check come in `deps`.
 *
 * @param deps config, store, keyring and the optional rest (clock, verifyLogin, logger, metrics …)
 * @returns the app and its context
 * @throws {MailregError} DEPENDENCY_MISSING when the config asks for verify-on-submit without a verifyLogin
 * @example
 * ```ts
 * import { createApp } from "@mailreg/registration";
 * import { sampleConfig } from "@mailreg/core/testing";
 * import { testKeyring } from "@mailreg/crypto-registry/testing";
 * import { openMemoryStore } from "@mailreg/store/testing";
 * const { app } = createApp({ config: sampleConfig(), store: await openMemoryStore(), keyring: await testKeyring({ publicOnly: true }) });
 * console.log((await app.request("/healthz")).status); // 200
 * ```
 */
export function createApp(deps: AppDeps): RegistrationApp {
  const ctx = appContext(deps);
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success)
        throw fieldsError(
          "VALIDATION",
          issuesToFields(result.error.issues, (result as { data?: unknown }).data),
        );
    },
  });
  // first: the prefix the app is served under (`host.route("/mail", app)`), for every later step
  for (const pattern of MOUNT_POINT_PATTERNS) app.use(pattern, mountPoint());
  app.use(requestId());
  app.use(requestLog(requestLogWriter(deps.requestLog, ctx.logger), ctx.metrics, app));
  app.use(localeMiddleware());
  // HSTS only where it means something: over HTTPS (hono's secureHeaders, inside this one, sends it always)
  app.use(async (c, next) => {
    await next();
    if (!isHttps(c, ctx.config)) {
      try {
        c.res.headers.delete("Strict-Transport-Security");
      } catch {
        // an immutable response (none of ours): leave it as it is
      }
    }
  });
  app.use(messageCsp()); // message pages and downloads: a stricter policy than the one below
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
  );
  // Cross-site form posts are refused; a request carrying an Authorization header cannot be forged by
  // another site (browsers never add one on their own), so API clients with a token need no Origin.
  const csrfCheck = csrf({ origin: _origins(ctx) });
  app.use((c, next) => (c.req.header("authorization") === undefined ? csrfCheck(c, next) : next()));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new MailregError(
          "PAYLOAD_TOO_LARGE",
          `The request body is larger than ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  );
  const onError = errorHandler(ctx.logger);
  app.onError(onError);
  app.notFound((c) => onError(new MailregError("NOT_FOUND", "No such page or route"), c));
  // a registration-only site (public key only, e.g. in a DMZ) has no admin: its routes answer 404
  const admin = deps.publicOnly !== true;
  if (admin) app.use("/api/v1/admin/*", apiGuard(ctx.config, ctx.sessions));
  publicApi(app, ctx);
  if (admin) {
    adminWindowApi(app, ctx);
    adminRegistrationsApi(app, ctx);
    adminMailboxesApi(app, ctx);
    adminMessagesApi(app, ctx);
    adminDeadLettersApi(app, ctx);
    adminRoutingApi(app, ctx);
    adminMiscApi(app, ctx);
  }
  metaApi(app, ctx);
  registerPages(app, ctx);
  oauthPages(app, ctx);
  if (admin) adminPages(app, ctx);
  return { app, context: ctx };
}
