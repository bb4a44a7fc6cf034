/**
 * What the worker is built from: everything with I/O comes in here, so {@link createWorker} itself
 * reads no environment, opens no file and contacts no server.
 *
 * @module
 */
import type { Config, ConnectionProfile, Logger } from "@mailreg/core";
import type { Keyring } from "@mailreg/crypto-registry";
import type { Sink } from "@mailreg/imap-sync";
import type { Mailbox, Store } from "@mailreg/store";
import type { Registry } from "prom-client";

/** The dependencies of the worker. */
export interface WorkerDeps {
  /** The validated config: `worker` (concurrency, interval, lease, always delete), templates, instances. */
  config: Config;
  /** The open store (the worker does not close it). */
  store: Store;
  /** Must hold the registry private key: mailbox credentials are opened with it at connect time. */
  keyring: Keyring;
  /** Where log lines go; default JSON lines on the console. */
  logger?: Logger;
  /** The Prometheus registry the worker's metrics join (the app's, to serve both on one /metrics); default a new one. */
  registry?: Registry;
  /** This worker's name in leases and logs; unique per process. Default `worker-<uuid>`. */
  owner?: string;
  /** Certificates to trust besides the system's (PEM), for IMAP, POP3 and SMTP: a test server's own, say. */
  ca?: string | string[];
  /**
   * Sinks besides the store (Maildir, webhook, in-process events), named by `id ?? kind` in routing
   * rules. Default: the config's `sinks`, built with the webhook secrets from `env`.
   */
  sinks?: readonly Sink[];
  /** Where webhook HMAC secrets (`sinks.*.secretEnv`) are read from; default the process environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How often retention (instances' `retention`) runs, in ms; the first run is at start. Default 3,600,000. */
  retentionMs?: number;
  /**
   * For OAuth 2.0 profiles: a fresh access token for the mailbox (from `@mailreg/oauth`), for
   * collecting and sending. `prepareWorker` defaults it to `oauthAccessTokens` (oauth-tokens.ts),
   * which needs the mailbox (to keep a rotated refresh token and the grant state).
   */
  accessToken?: (profile: ConnectionProfile, mailbox: Mailbox) => Promise<string>;
  /** Messages per committed chunk. Default imap-sync's (500). */
  chunkMessages?: number;
  /** How often the worker looks for "sync now" requests, in ms. Default 1,000. */
  tickMs?: number;
  /** How often it reads every mailbox's schedule, in ms (sooner after a run ends or a request). Default 5,000. */
  scanMs?: number;
  /** Connect and answer timeout towards mail servers, in ms. Default imap-sync's (10,000) and smtp-resolver's (30,000). */
  timeoutMs?: number;
  /** The pause between two rounds of outbox delivery, in ms. Default 1,000. */
  outboxMs?: number;
}
