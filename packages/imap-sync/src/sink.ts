/**
 * The Sink connector interface: where collected mail goes.
 *
 * A sink is any object of this shape. The store sink is always there (it is what makes a message
 * "durably stored" before anything is deleted on the server); the Maildir, webhook and event sinks
 * are optional. To add one, write ONE new file exporting a factory that returns a {@link Sink}, and
 * add one line to `SINKS` in `sinks.ts` when it should be configurable by kind.
 *
 * ```ts
 * export function createLogSink(): Sink {
 *   return {
 *     kind: "log",
 *     async store(message, key, contentHash) { console.log(key.folder, message.envelope.subject, contentHash); },
 *   };
 * }
 * ```
 *
 * Rules a sink keeps:
 * - `store` is idempotent by `key`: the same key and hash a second time changes nothing (a run that
 *   was interrupted delivers the last chunk again: at-least-once).
 * - A sink that cannot deliver throws; the engine records the failure and carries on. A sink with its
 *   own retries gives up by returning a {@link DeadLetter} from `store`, which the engine keeps in the
 *   store for the administrator.
 *
 * @module
 */
import type { Envelope } from "./envelope.ts";

/** Where a message came from: mailbox, folder, and the folder's key for it. */
export type MessageKey =
  | { mailboxId: string; folder: string; uidValidity: number; uid: number }
  | { mailboxId: string; folder: string; uidl: string };

/** A message as sinks receive it. */
export interface SinkMessage {
  /** The store's row id (stable; what a fetch link names). */
  id: string;
  /** The raw RFC 5322 message. */
  raw: Uint8Array;
  size: number;
  flags: string[];
  internalDate?: Date;
  /** Parsed from the header: date, subject, Message-ID, addresses. */
  envelope: Envelope;
  /** The folder's hierarchy delimiter on the server (for sinks that mirror the tree). */
  delimiter: string | null;
}

/** An event a sink gave up on after its retries. */
export interface DeadLetter {
  /** Which sink, without credentials (`webhook:https://hooks.example.org/mail`). */
  sink: string;
  /** What the event was, e.g. "message.stored". */
  event: string;
  /** The event without the raw source. */
  payload: Record<string, unknown>;
  attempts: number;
  lastError: string;
}

/** A destination of collected mail. */
export interface Sink {
  /** The kind ("store", "maildir", "webhook", "events" …). */
  readonly kind: string;
  /** Names this sink in dead letters when there may be several of a kind (`webhook:https://…`); default `kind`. */
  readonly id?: string;
  /**
   * Stores (delivers) one message; idempotent by `key`.
   *
   * @returns nothing, or a dead letter when the sink gave up after its own retries
   */
  store(message: SinkMessage, key: MessageKey, contentHash: string): Promise<DeadLetter | undefined>;
  /** A stored message's flags changed on the server. */
  flagsChanged?(key: MessageKey, flags: readonly string[]): Promise<void>;
  /** Messages were expunged on the server (the store keeps its copies). */
  vanished?(keys: readonly MessageKey[]): Promise<void>;
  /** Releases what the sink holds (connections, file handles). */
  close?(): Promise<void>;
}
