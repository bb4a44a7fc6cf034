/**
 * The Hono environment of the app: the runtime's bindings and the per-request variables.
 *
 * @module
 */
import type { AppBindings } from "../deps.ts";
import type { Locale, Translate } from "../i18n/i18n.ts";

/** An administrator's session, as the session cookie carries it. */
export interface AdminSession {
  /** The admin user's name. */
  user: string;
  /** The session's random id (the CSRF token is derived from it). */
  sid: string;
  /** The CSRF token the session's forms must send back. */
  csrf: string;
}

/** Variables set by the app's middleware. */
export interface AppVariables {
  /** The prefix the app is served under ("" at the root, e.g. "/mail"); see base-path.tsx. */
  basePath: string;
  requestId: string;
  locale: Locale;
  t: Translate;
  /** Who is acting: an admin user's name, or `token:<name>` for an API token. Set by the admin guard. */
  actor: string;
  /** The session, when the admin signed in through the login form. */
  session: AdminSession | undefined;
}

/** The app's Hono environment. */
export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
