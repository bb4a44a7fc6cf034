/**
 * The webhook sink: each stored message POSTed as JSON (envelope, flags, key, and the raw source in
 * base64 or a link to fetch it), signed with HMAC-SHA256 over the body in `X-Mailreg-Signature:
 * sha256=<hex>`, retried with exponential backoff; what still fails becomes a dead letter the engine
 * keeps in the store for the administrator.
 *
 * Receivers verify the signature with the shared secret and deduplicate by `X-Mailreg-Delivery` (the
 * stored message's id, the same on every retry and redelivery): delivery is at-least-once.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { z } from "zod";
import { defineSink, type SinkConnector } from "./connector.ts";
import type { DeadLetter, MessageKey, Sink, SinkMessage } from "./sink.ts";

/** Options of {@link createWebhookSink}. */
export interface WebhookSinkOptions {
  /** Where to POST. */
  url: string;
  /** The shared HMAC secret (never sent, never logged). */
  secret: string;
  /**
   * A link to fetch the raw source instead of sending it: given the message, returns the URL.
   * Without it the raw source is sent inline as base64.
   */
  link?: (message: SinkMessage, key: MessageKey) => string;
  /** Tries per event, the first included. Default 5. */
  attempts?: number;
  /** The first retry's delay in ms; doubled each time, with ±20 % jitter, capped at 60 s. Default 500. */
  backoffMs?: number;
  /** Per-request timeout in ms. Default 10,000. */
  timeoutMs?: number;
  /** Extra request headers (e.g. an Authorization of the receiver). */
  headers?: Record<string, string>;
  /** The fetch to use (a test or a proxy can pass its own). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * The webhook sink as a config names it. The file never holds the secret, only the name of the
 * environment variable that does: `{ "kind": "webhook", "url": "https://crm.example.org/hook",
 * "secretEnv": "CRM_HOOK_SECRET" }`.
 */
export const webhookSink: SinkConnector = defineSink({
  kind: "webhook",
  label: "Webhook",
  options: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .describe("The environment variable holding the HMAC-SHA256 secret (never the secret itself)"),
    attempts: z.number().int().min(1).max(20).optional().describe("Tries per event, the first included"),
    backoffMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .optional()
      .describe("The first retry's delay, doubled each time"),
    timeoutMs: z.number().int().min(100).max(300_000).optional().describe("Per-request timeout"),
  }),
  create(options, { env }) {
    const secret = env[options.secretEnv];
    if (secret === undefined || secret === "") {
      const message = `the environment variable ${options.secretEnv} (the webhook's HMAC secret) is not set`;
      throw new MailregError("CONFIG_INVALID", `secretEnv: ${message}`, {
        details: { issues: [{ path: "secretEnv", message }] },
      });
    }
    return createWebhookSink({
      url: options.url,
      secret,
      ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  },
});

/** The header carrying the signature. */
export const SIGNATURE_HEADER = "X-Mailreg-Signature";

/**
 * A sink POSTing each event to a URL.
 *
 * @param options URL, secret, raw-or-link, retries
 * @returns the sink
 * @example
 * ```ts
 * import { createWebhookSink } from "@mailreg/imap-sync";
 * const hook = createWebhookSink({ url: "https://hooks.example.org/mail", secret: "s3cret", attempts: 3 });
 * // syncMailbox(mailbox, { state, sinks: [hook] });
 * ```
 */
export function createWebhookSink(options: WebhookSinkOptions): Sink {
  const url = new URL(options.url);
  const id = `webhook:${url.origin}${url.pathname}`;
  const send = (event: string, deliveryId: string, body: Record<string, unknown>) =>
    _deliver(options, id, event, deliveryId, body);
  return {
    kind: "webhook",
    id,
    async store(message, key, contentHash) {
      const body: Record<string, unknown> = {
        event: "message.stored",
        id: message.id,
        key,
        contentHash,
        size: message.size,
        flags: message.flags,
        internalDate: message.internalDate?.toISOString() ?? null,
        envelope: message.envelope,
      };
      if (options.link !== undefined) body.link = options.link(message, key);
      else body.raw = _base64(message.raw);
      return await send("message.stored", message.id, body);
    },
    async flagsChanged(key, flags) {
      const dead = await send("message.flags", `${_keyId(key)}:${[...flags].sort().join(" ")}`, {
        event: "message.flags",
        key,
        flags,
      });
      if (dead !== undefined) throw new Error(dead.lastError);
    },
  };
}

/**
 * The signature of a body: `sha256=` and the hex HMAC-SHA256 with the secret.
 *
 * @param secret the shared secret
 * @param body the exact request body
 * @returns the header value
 * @example
 * ```ts
 * import { signWebhookBody } from "@mailreg/imap-sync";
 * console.log(await signWebhookBody("key", "{}")); // sha256=…
 * ```
 */
export async function signWebhookBody(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function _deliver(
  options: WebhookSinkOptions,
  sinkId: string,
  event: string,
  deliveryId: string,
  body: Record<string, unknown>,
): Promise<DeadLetter | undefined> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const doFetch = options.fetch ?? globalThis.fetch;
  const text = JSON.stringify(body);
  const signature = await signWebhookBody(options.secret, text);
  let lastError = "";
  let attempt = 0;
  while (attempt < attempts) {
    attempt++;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(options.url, {
        method: "POST",
        headers: {
          ...options.headers,
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signature,
          "X-Mailreg-Event": event,
          "X-Mailreg-Delivery": deliveryId,
        },
        body: text,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) return undefined;
      lastError = `HTTP ${response.status}`;
      const retryable =
        response.status === 408 ||
        response.status === 425 ||
        response.status === 429 ||
        response.status >= 500;
      if (!retryable) break;
      const header = Number(response.headers.get("retry-after"));
      if (Number.isFinite(header) && header > 0) retryAfterMs = Math.min(header * 1000, 60_000);
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (attempt < attempts) await _sleep(retryAfterMs ?? _backoff(options.backoffMs ?? 500, attempt));
  }
  const { raw: _raw, ...payload } = body;
  return { sink: sinkId, event, payload, attempts: attempt, lastError: lastError.slice(0, 500) };
}

function _backoff(base: number, attempt: number): number {
  const delay = Math.min(base * 2 ** (attempt - 1), 60_000);
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

function _sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function _keyId(key: MessageKey): string {
  return "uid" in key
    ? `${key.mailboxId}:${key.folder}:${key.uidValidity}:${key.uid}`
    : `${key.mailboxId}:${key.uidl}`;
}

function _base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
