/**
 * What the app is built from: everything with I/O comes in here, so {@link createApp} itself
 * reads no environment, opens no file and contacts no server.
 *
 * @module
 */
import type { Config, ConnectionProfile, Logger, NetworkPolicy, TlsPolicy } from "@mailreg/core";
import type { Keyring } from "@mailreg/crypto-registry";
import type { Sink } from "@mailreg/imap-sync";
import type { Store } from "@mailreg/store";
import type { ResolveSmtp } from "./admin/smtp-resolution.ts";
import type { RequestLogSink } from "./http/request-log.ts";
import type { AppMetrics } from "./metrics.ts";

/** Why a login check failed. */
export type VerifyFailure = "auth" | "unreachable" | "tls" | "protocol";

/** The outcome of a login check against a mail server. */
export type VerifyLoginResult = { ok: true } | { ok: false; reason: VerifyFailure; message: string };

/** Options of a {@link VerifyLogin} call. */
export interface VerifyLoginOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** The certificate policy of the server (from its template; typed-in servers verify). */
  tls: TlsPolicy;
  /** For a profile whose auth method is `oauth2`: the access token to log in with (XOAUTH2). */
  accessToken?: string;
  /**
   * The network policy (`networkPolicy(config)`): the server's name is resolved once, every address
   * checked, and the connection made to the checked address. The app passes it on every call.
   */
  policy?: NetworkPolicy;
}

/** Logs in to the profile's server (IMAP or POP3) and logs out again; `@mailreg/imap-sync` has one. */
export type VerifyLogin = (
  profile: ConnectionProfile,
  options: VerifyLoginOptions,
) => Promise<VerifyLoginResult>;

/** One step of a mailbox check. */
export interface CheckStep {
  step: string;
  ok: boolean;
  /** What it found, in words. */
  detail?: string;
  reason?: VerifyFailure;
  /** The failure in a sentence (never a secret). */
  message?: string;
}

/** Checks a mailbox step by step (connect, login, folders …); `@mailreg/imap-sync` has one. */
export type CheckMailbox = (
  profile: ConnectionProfile,
  options: VerifyLoginOptions,
) => Promise<{ ok: boolean; steps: CheckStep[] }>;

/** Resolves a host name to its IP addresses (empty or throwing when it has none). */
export type ResolveHost = (host: string) => Promise<string[]>;

/** The dependencies of {@link createApp}. */
export interface AppDeps {
  /** The validated config. */
  config: Config;
  /** The open store. */
  store: Store;
  /** The registry keys: the public key seals; apply and "check mailbox" need a private key. */
  keyring: Keyring;
  /** The time; default `() => new Date()`. */
  clock?: () => Date;
  /** Checks a login; needed when `registration.verifyOnSubmit` is on, and for "check mailbox". */
  verifyLogin?: VerifyLogin;
  /** Checks an applied mailbox for the admin's "check"; without it "check" is a login check (`verifyLogin`). */
  checkMailbox?: CheckMailbox;
  /** Resolves typed-in host names for the private-network policy; without it only IP literals and `localhost` are judged. */
  resolveHost?: ResolveHost;
  /**
   * The admin session signing key: 32 random bytes kept with the registry keys (`keys.sessionKeyFile`,
   * mode 0600), never in the database. `prepareApp` loads or creates it. Without it the app signs with
   * a random key of its own: sessions end with the process and other processes do not accept them.
   */
  sessionKey?: Uint8Array;
  /**
   * Serve the registration page and the public API only (a registration site holding only the public
   * key): every admin page and admin API route answers 404. `prepareApp` sets it for `publicKeyOnly`.
   */
  publicOnly?: boolean;
  /** Where log lines go; default JSON lines on the console. */
  logger?: Logger;
  /**
   * The log line of every request (method, path without query, status, ms, request id): `false` for
   * none; a function that gets each entry; or a pino-shaped logger (`info(object, message)`) that
   * gets `info(entry, "request")`. Default: a line "request" through `logger`.
   */
  requestLog?: RequestLogSink | false;
  /** The metrics registry; default a new one. */
  metrics?: AppMetrics;
  /** The IANA time zone pages show times in and admin forms read them in; default UTC. */
  timeZone?: string;
  /**
   * How long the public routes reuse a read of the registration window, in ms; default 1000. Changes
   * made through this app apply at once; those of other processes within this time.
   */
  windowCacheMs?: number;
  /** Timeout of a login check in ms; default 8000. */
  verifyTimeoutMs?: number;
  /**
   * Asks the worker to collect a mailbox now; without it "sync now" answers 503. `prepareApp` (so
   * `mailreg serve` and `npm start`) records the request in the store, where any worker process
   * picks it up.
   */
  requestSync?: (mailboxId: string, actor: string) => Promise<void>;
  /**
   * Resolves the SMTP settings of an address; without it the route answers 503 and the mailbox page
   * shows none. `prepareApp` resolves with `@mailreg/smtp-resolver` over the store and the config.
   */
  resolveSmtp?: ResolveSmtp;
  /**
   * The configured sinks (named by their config ids), for the admin's "re-run the rules" and
   * dead-letter "retry"; without them both answer 503. `prepareApp` builds them from the config's
   * `sinks` with the webhook secrets from the environment.
   */
  sinks?: readonly Sink[];
}

/** The client's address as the runtime adapter passes it (Hono bindings). */
export interface AppBindings {
  /** The TCP peer's IP address. */
  remoteAddress?: string;
}
