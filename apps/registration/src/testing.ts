/**
 * Test helpers: an app on an in-memory store with a test keyring, a known admin user and API token,
 * and its log lines captured. Import from `@mailreg/registration/testing`.
 *
 * @module
 */

import { type ConfigInput, hashPassword, hashToken, jsonLogger } from "@mailreg/core";
import { sampleConfig } from "@mailreg/core/testing";
import { type TestKeyring, testKeyring } from "@mailreg/crypto-registry/testing";
import { mirrorConfig, openStore, type Store } from "@mailreg/store";
import { openMemoryStore } from "@mailreg/store/testing";
import { createApp, type RegistrationApp } from "./app.ts";
import { CONNECTORS } from "./connectors.ts";
import type { AppDeps } from "./deps.ts";

/** The admin of test apps. */
export const TEST_ADMIN = {
  user: "admin",
  password: "test-admin-password",
  token: "mrt_test-admin-token-0123456789abcdefghijklmnopq",
} as const;

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /** Top-level config sections replacing those of `sampleConfig()` (admin is added unless given). */
  config?: ConfigInput;
  /** Hold only the public key, as a registration site does. */
  publicOnly?: boolean;
  /** Other dependencies (verifyLogin, clock, resolveHost …). */
  deps?: Partial<Omit<AppDeps, "config" | "store" | "keyring">>;
  /** The database (`file:…`), e.g. one shared by two apps as by two processes; default a fresh in-memory one. */
  storeUrl?: string;
}

/** A test app with its store, keys and log lines. */
export interface TestApp extends RegistrationApp {
  store: Store;
  keyring: TestKeyring;
  /** Every log line the app wrote. */
  logs: string[];
  close(): void;
}

let _adminHashes: Promise<{ passwordHash: string; hash: string }> | undefined;

/**
 * An app over a fresh in-memory store, `sampleConfig()` (one template `example-imap`, one instance
 * `main`, registration open) plus {@link TEST_ADMIN}, instances mirrored into the store.
 *
 * @param options config overrides, public-key-only, other dependencies
 * @returns the app
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  _adminHashes ??= (async () => ({
    passwordHash: await hashPassword(TEST_ADMIN.password),
    hash: await hashToken(TEST_ADMIN.token),
  }))();
  const { passwordHash, hash } = await _adminHashes;
  const config = sampleConfig(
    {
      admin: {
        users: [{ name: TEST_ADMIN.user, passwordHash }],
        tokens: [{ name: "test", hash }],
      },
      ...options.config,
    },
    CONNECTORS,
  );
  const store =
    options.storeUrl === undefined ? await openMemoryStore() : await openStore({ url: options.storeUrl });
  await mirrorConfig(store, config);
  const keyring = await testKeyring({ publicOnly: options.publicOnly === true });
  const logs: string[] = [];
  const built = createApp({
    config,
    store,
    keyring,
    logger: jsonLogger((line) => logs.push(line)),
    windowCacheMs: 0,
    ...options.deps,
  });
  return { ...built, store, keyring, logs, close: () => store.close() };
}

/** The origin `app.request()` uses: form posts from "our own page" send it. */
export const TEST_ORIGIN = "http://localhost";

/** Options of {@link call}. */
export interface CallOptions {
  /** A JSON body. */
  json?: unknown;
  /** Form fields (sent urlencoded with Origin {@link TEST_ORIGIN} unless `origin` says otherwise). */
  form?: Record<string, string | string[]>;
  /** A bearer token. */
  token?: string;
  /** A Cookie header. */
  cookie?: string;
  /** The Origin header of a form post; null sends none. */
  origin?: string | null;
  /** The client's address (the rate limit's key). */
  remoteAddress?: string;
  headers?: Record<string, string>;
}

/**
 * One request to a test app.
 *
 * @param app the app
 * @param method the HTTP method
 * @param path the path and query
 * @param options body, credentials, client address
 * @returns the response
 */
export function call(
  app: RegistrationApp["app"],
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.form))
      for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    body = params.toString();
    if (options.origin !== null) headers.set("origin", options.origin ?? TEST_ORIGIN);
  }
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  if (options.cookie !== undefined) headers.set("cookie", options.cookie);
  return Promise.resolve(
    app.request(
      path,
      { method, headers, ...(body === undefined ? {} : { body }) },
      {
        remoteAddress: options.remoteAddress ?? "192.0.2.10",
      },
    ),
  );
}

/** A signed-in admin: the cookie to send and the CSRF token of its forms. */
export interface SignedIn {
  cookie: string;
  csrf: string;
}

/**
 * Signs in through the login form and reads the session's CSRF token from a page.
 *
 * @param app the app
 * @param credentials default {@link TEST_ADMIN}
 * @returns the cookie and CSRF token
 */
export async function signIn(
  app: RegistrationApp["app"],
  credentials: { user: string; password: string } = TEST_ADMIN,
): Promise<SignedIn> {
  const res = await call(app, "POST", "/admin/login", {
    form: { user: credentials.user, password: credentials.password },
  });
  const setCookie = res.headers.get("set-cookie") ?? "";
  if (res.status !== 303 || setCookie === "") throw new Error(`sign-in failed with ${res.status}`);
  const cookie = setCookie.split(";")[0]!;
  const page = await (await call(app, "GET", "/admin/window", { cookie })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (csrf === undefined) throw new Error("no CSRF token on the admin page");
  return { cookie, csrf };
}
