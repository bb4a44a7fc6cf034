/**
 * A pause for a sink that just gave up: once it returned a dead letter (its own retries spent), the
 * messages that follow within `pauseMs` are not tried but kept as dead letters at once, so that a
 * receiver that is down does not hold up collection for its retries on every message. After the
 * pause the next message is tried again. The administrator retries the dead letters later.
 *
 * @module
 */
import type { Sink } from "./sink.ts";

/**
 * Wraps a sink with a pause after a give-up.
 *
 * @param sink the sink (its `store` returns a dead letter when it gives up)
 * @param options the pause in ms (default 60,000); the clock (default `Date.now`)
 * @returns the wrapped sink, with the same kind and id
 * @example
 * ```ts
 * import { createWebhookSink, pauseAfterGiveUp } from "@mailreg/imap-sync";
 * const hook = pauseAfterGiveUp(createWebhookSink({ url: "https://hooks.example.org/mail", secret: "s3cret" }));
 * ```
 */
export function pauseAfterGiveUp(sink: Sink, options: { pauseMs?: number; now?: () => number } = {}): Sink {
  const pauseMs = options.pauseMs ?? 60_000;
  const now = options.now ?? Date.now;
  let pausedUntil = 0;
  let reason = "";
  const wrapped: Sink = {
    ...sink,
    async store(message, key, contentHash) {
      if (now() < pausedUntil) {
        return {
          sink: sink.id ?? sink.kind,
          event: "message.stored",
          payload: { key, contentHash, envelope: message.envelope },
          attempts: 0,
          lastError:
            `Not tried: the sink gave up less than ${Math.round(pauseMs / 1000)} s ago (${reason})`.slice(
              0,
              500,
            ),
        };
      }
      const dead = await sink.store(message, key, contentHash);
      if (dead !== undefined) {
        pausedUntil = now() + pauseMs;
        reason = dead.lastError;
      }
      return dead;
    },
  };
  return wrapped;
}
