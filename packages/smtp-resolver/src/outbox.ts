/**
 * The outbox: {@link enqueue} queues a message (with its final Message-ID) before any
 * attempt; {@link deliverDue} claims due messages, sends them, and records each outcome: sent,
 * retried later with backoff (4xx, timeouts, unreachable, login or TLS trouble), or failed for good
 * (a 5xx refusal, with the server's answer). It works on an {@link Outbox}: the queue and the
 * mailboxes it sends for (ports.ts), filled by `@mailreg/store`'s `storeOutbox(store)` for a durable
 * outbox or by `memoryOutbox()`. See the README for why a message goes out once.
 *
 * @module
 */
import { errorInfo, isMailregError, MailregError, newId } from "@mailreg/core";
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelay } from "./backoff.ts";
import { type MessageInput, prepareMessage } from "./message.ts";
import type { Outbox, OutboxSent, OutboxStatus, QueuedMessage, SendingMailbox } from "./ports.ts";
import type { Sender, SendTarget } from "./sender.ts";
import type { SentFolderAppender } from "./sent-folder.ts";
import { isTemporarySmtpError } from "./smtp-error.ts";

/** What {@link enqueue} queues: a raw message or fields, for a mailbox. */
export type EnqueueInput = MessageInput & {
  mailboxId: string;
  /** When it is queued (default now). */
  at?: Date;
};

/** A queued message. */
export interface Enqueued {
  id: string;
  messageId: string;
  status: OutboxStatus;
  /** False when a message with this Message-ID was already queued for the mailbox (nothing changed). */
  created: boolean;
}

/**
 * Queues a message for a mailbox. The Message-ID is fixed here, before any attempt, so every
 * attempt, the recipient's copy and the Sent-folder copy carry the same one. Queuing the same
 * Message-ID for the same mailbox again changes nothing.
 *
 * @param outbox the queue and the mailboxes (e.g. `storeOutbox(store)`, `memoryOutbox(...)`)
 * @param input the mailbox and the message (raw with optional envelope, or fields)
 * @returns the queued message's id, the Message-ID and whether it was new
 * @throws {MailregError} NOT_FOUND for an unknown mailbox; VALIDATION without recipient
 * @example
 * ```ts ignore
 * const queued = await enqueue(outbox, { mailboxId, message: { to: "bob@example.org", subject: "Hi", text: "Hello" } });
 * ```
 */
export async function enqueue(outbox: Outbox, input: EnqueueInput): Promise<Enqueued> {
  const mailbox = await outbox.mailboxes.get(input.mailboxId);
  const from =
    mailbox.displayName === null || mailbox.displayName === undefined
      ? mailbox.address
      : `${JSON.stringify(mailbox.displayName)} <${mailbox.address}>`;
  const prepared = await prepareMessage(input, from);
  const { message, created } = await outbox.queue.insert({
    id: newId(),
    mailboxId: mailbox.id,
    messageId: prepared.messageId,
    raw: prepared.raw,
    envelope: prepared.envelope,
    ...(input.at === undefined ? {} : { at: input.at }),
  });
  return { id: message.id, messageId: prepared.messageId, status: message.status, created };
}

/** Options of {@link deliverDue}. */
export interface DeliverOptions {
  /** The server and login for a mailbox (e.g. `configTargets(...)`). */
  targetFor: (mailbox: SendingMailbox) => Promise<SendTarget>;
  /** Copies each sent message to its mailbox's Sent folder; without it, sent mail stays only here. */
  sentFolder?: SentFolderAppender;
  /** The time messages must be due by (default now). */
  now?: Date;
  /** At most this many messages per call. Default 100. */
  limit?: number;
  /** How long the claim lasts; a crashed deliverer's messages are due again after it. Default 5 minutes. */
  leaseMs?: number;
  /** Messages handed to the sender at once (keeps a pooled connection busy). Default 16. */
  window?: number;
  /** Retry policy for temporary failures. */
  backoff?: BackoffOptions;
  /**
   * How long an accepted message's "sent" record may wait for other answers to share its
   * transaction while more sends are in flight, in ms. Default 0: each is recorded the moment its
   * answer arrives. More raises throughput on a fast server but widens, by up to this much, the
   * window in which a crash makes the next deliverer send an accepted message again (README).
   */
  groupCommitMs?: number;
  /** Randomness for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** What became of one claimed message. */
export interface DeliveryOutcome {
  id: string;
  mailboxId: string;
  messageId: string | null;
  /** `skipped`: the claim ran out before its turn; it is due again when the claim expires. */
  status: "sent" | "retry" | "failed" | "skipped";
  /** The server's answer. */
  response?: string;
  error?: { code: string; message: string };
  /** The Sent folder it was copied to. */
  sentFolder?: string;
  /**
   * Sent, but the copy to the Sent folder failed (recorded on the message; {@link copyToSentAgain}
   * tries again). A warning, not a failure: the message went out once.
   */
  sentCopyError?: { code: string; message: string };
}

/** The outcome of one {@link deliverDue} call. */
export interface DeliverReport {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  outcomes: DeliveryOutcome[];
}

const _DEFAULT_LEASE_MS = 300_000;

/**
 * Sends the messages that are due, once each.
 *
 * Claims up to `limit` due messages (queued ones whose time has come, and `sending` ones whose
 * deliverer's claim expired) in one call of the queue, sends them through `sender`, and records each
 * outcome the moment the server answers (see `groupCommitMs`). A message whose claim is about to
 * run out before its turn is left alone (`skipped`). After a send is on record, the copy to the
 * Sent folder is made (if an appender is given) and its folder recorded.
 *
 * @param outbox the queue and the mailboxes
 * @param sender the sender (its pooled transports are reused across calls)
 * @param options target lookup, Sent folder, time, limits, lease and backoff
 * @returns counts and the outcome of each claimed message
 * @throws the queue's error (e.g. MailregError STORE_UNAVAILABLE) when an outcome cannot be recorded
 *   (after the others finished)
 */
export async function deliverDue(
  outbox: Outbox,
  sender: Sender,
  options: DeliverOptions,
): Promise<DeliverReport> {
  const leaseMs = options.leaseMs ?? _DEFAULT_LEASE_MS;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const random = options.random ?? Math.random;
  const base = (options.now ?? new Date()).getTime();
  const started = performance.now();
  const clock = () => new Date(base + (performance.now() - started));
  const token = newId();
  const { queue } = outbox;
  const claimed = await queue.claimDue({
    token,
    now: new Date(base),
    leaseMs,
    limit: options.limit ?? 100,
  });
  // stop handing out messages well before the claim runs out, so no other deliverer can hold them yet
  const lastStart = started + leaseMs - Math.min(leaseMs / 4, 30_000);
  const raws = await queue.readRaw(claimed.map((c) => c.id));
  // each mailbox and its server, looked up before the first send; a failed lookup fails its messages
  const targets = new Map<string, Promise<{ mailbox: SendingMailbox; target: SendTarget }>>();
  for (const id of new Set(claimed.map((c) => c.mailboxId))) {
    targets.set(
      id,
      outbox.mailboxes
        .get(id)
        .then(async (mailbox) => ({ mailbox, target: await options.targetFor(mailbox) })),
    );
  }
  await Promise.allSettled(targets.values());
  // each answer is recorded at once, unless groupCommitMs lets it wait for others (see _grouped)
  let inFlight = 0;
  const recordSent = _grouped((batch: OutboxSent[]) => queue.markSent(batch), {
    inFlight: () => inFlight,
    maxDelayMs: options.groupCommitMs ?? 0,
    maxItems: 64,
  });
  const records: Promise<void>[] = [];
  let copies: Promise<unknown> = Promise.resolve();

  const deliverOne = async (row: QueuedMessage): Promise<DeliveryOutcome> => {
    const outcome = { id: row.id, mailboxId: row.mailboxId, messageId: row.messageId };
    if (performance.now() > lastStart) return { ...outcome, status: "skipped" };
    let mailbox: SendingMailbox;
    try {
      const found = await (targets.get(row.mailboxId) as Promise<{
        mailbox: SendingMailbox;
        target: SendTarget;
      }>);
      mailbox = found.mailbox;
      const raw = raws.get(row.id);
      if (raw === undefined)
        throw new MailregError("INTERNAL", `The raw source of outbox message ${row.id} is missing`);
      inFlight++;
      const result = await sender
        .send(found.target, { raw, envelope: row.envelope })
        .finally(() => inFlight--);
      const note =
        result.rejected.length === 0
          ? undefined
          : `Not accepted for ${result.rejected.map((r) => `${r.address} (${r.response})`).join(", ")}`;
      // the window slot is free again now: the record commits with its group while the next sends go on
      const recorded = recordSent({
        id: row.id,
        at: clock(),
        response: result.response,
        ...(note === undefined ? {} : { note }),
      });
      recorded.catch(() => {}); // awaited (and thrown) after the window; not "unhandled" meanwhile
      records.push(recorded);
      const sent: DeliveryOutcome = { ...outcome, status: "sent", response: result.response };
      const appender = options.sentFolder;
      if (appender !== undefined) {
        // the copy only after the send is on record, so a failed copy can never cause a second send
        copies = Promise.all([copies, recorded]).then(() =>
          _copyToSent(outbox, appender, row.id, raw, mailbox, sent),
        );
      }
      return sent;
    } catch (cause) {
      const error = _asMailregError(cause);
      if (error.code === "STORE_UNAVAILABLE") throw error;
      const response = typeof error.details?.response === "string" ? error.details.response : undefined;
      const failure = {
        id: row.id,
        token,
        error: error.message,
        errorCode: error.code,
        ...(response === undefined ? {} : { response }),
      };
      const report = {
        ...outcome,
        error: { code: error.code, message: error.message },
        ...(response === undefined ? {} : { response }),
      };
      if (isTemporarySmtpError(error) && row.attempts < backoff.maxAttempts) {
        const nextAttemptAt = new Date(clock().getTime() + retryDelay(row.attempts, backoff, random));
        await queue.retryLater({ ...failure, nextAttemptAt });
        return { ...report, status: "retry" };
      }
      if (isTemporarySmtpError(error))
        failure.error = `Gave up after ${row.attempts} attempts: ${error.message}`;
      await queue.fail(failure);
      return { ...report, status: "failed" };
    }
  };

  const outcomes = await _inWindow(claimed, options.window ?? 16, deliverOne);
  await Promise.all(records); // a failed record (STORE_UNAVAILABLE) is thrown here
  await copies;
  const count = (s: DeliveryOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
  return {
    claimed: claimed.length,
    sent: count("sent"),
    retried: count("retry"),
    failed: count("failed"),
    skipped: count("skipped"),
    outcomes,
  };
}

/**
 * Delivers until nothing is due: `lanes` loops of {@link deliverDue} side by side, so one lane's
 * claim and bookkeeping overlap the other's sending and a pooled connection never waits for the
 * queue. What a worker runs on each tick. Once `signal` is aborted no lane claims more: the
 * messages already claimed are finished (sent, retried or failed), none is left claimed.
 *
 * @param outbox the queue and the mailboxes
 * @param sender the sender
 * @param options as for {@link deliverDue}, plus `lanes` (default 2) and `signal` (stop claiming)
 * @returns the summed counts and every outcome
 */
export async function drainOutbox(
  outbox: Outbox,
  sender: Sender,
  options: DeliverOptions & { lanes?: number; signal?: AbortSignal },
): Promise<DeliverReport> {
  const total: DeliverReport = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0, outcomes: [] };
  const lane = async () => {
    while (options.signal?.aborted !== true) {
      const report = await deliverDue(outbox, sender, options);
      if (report.claimed === 0) return;
      for (const key of ["claimed", "sent", "retried", "failed", "skipped"] as const)
        total[key] += report[key];
      total.outcomes.push(...report.outcomes);
      // a lane that only skipped or retried would claim nothing new until time moves on
      if (report.sent === 0 && report.failed === 0) return;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.lanes ?? 2) }, lane));
  return total;
}

async function _copyToSent(
  outbox: Outbox,
  appender: SentFolderAppender,
  id: string,
  raw: Uint8Array,
  mailbox: SendingMailbox,
  outcome: DeliveryOutcome,
): Promise<MailregError | undefined> {
  try {
    const copy = await appender.append(raw, ["\\Seen"], mailbox);
    if (copy === undefined) return undefined;
    await outbox.queue.recordSentCopy(id, copy);
    outcome.sentFolder = copy.folder;
    return undefined;
  } catch (cause) {
    const error = _asMailregError(cause);
    const message = `Sent, but not copied to the Sent folder: ${error.message}`;
    outcome.sentCopyError = { code: error.code, message };
    await outbox.queue.recordSentCopy(id, { error: message, errorCode: error.code });
    return error;
  }
}

/**
 * Copies a message that was sent into its mailbox's Sent folder again, e.g. after the copy failed
 * (`sentCopyError` of its outcome, the message's last error in the admin). Never sends anything.
 *
 * @param outbox the queue and the mailboxes
 * @param appender the Sent-folder appender
 * @param message the outbox id and mailbox of a sent message
 * @returns the folder it went to, or undefined when the mailbox has none (POP3, no Sent folder)
 * @throws {MailregError} NOT_FOUND when the message's raw source is gone; the appender's error
 *   (recorded on the message, as after a send) when the copy fails again
 */
export async function copyToSentAgain(
  outbox: Outbox,
  appender: SentFolderAppender,
  message: { id: string; mailboxId: string },
): Promise<string | undefined> {
  const raw = (await outbox.queue.readRaw([message.id])).get(message.id);
  if (raw === undefined)
    throw new MailregError("NOT_FOUND", `The raw source of outbox message ${message.id} is gone`);
  const mailbox = await outbox.mailboxes.get(message.mailboxId);
  const outcome: DeliveryOutcome = { id: message.id, mailboxId: mailbox.id, messageId: null, status: "sent" };
  const error = await _copyToSent(outbox, appender, message.id, raw, mailbox, outcome);
  if (error !== undefined) throw error;
  return outcome.sentFolder;
}

/**
 * Group commit of the servers' answers (one `markSent` call per group). With the store's embedded
 * SQLite on this thread, answers never pile up by themselves while a transaction commits: an answer waits for at most `maxDelayMs` when other
 * sends are still in flight (their answers join it), and is recorded at once when none is, or when
 * `maxItems` are waiting. `add(item)` resolves once its group is committed.
 */
function _grouped<T>(
  flush: (items: T[]) => Promise<unknown>,
  options: { inFlight: () => number; maxDelayMs: number; maxItems: number },
): (item: T) => Promise<void> {
  let waiting: { item: T; done: (error?: unknown) => void }[] = [];
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drain = async () => {
    clearTimeout(timer);
    timer = undefined;
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await flush(batch.map((w) => w.item));
        for (const w of batch) w.done();
      } catch (error) {
        for (const w of batch) w.done(error);
      }
    }
    running = false;
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (running) return;
      if (options.inFlight() === 0 || waiting.length >= options.maxItems || options.maxDelayMs <= 0)
        void drain();
      else timer ??= setTimeout(() => void drain(), options.maxDelayMs);
    });
}

/** Runs `fn` over `items` with at most `size` at once; results in item order; the first error after all settle. */
async function _inWindow<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}

/** Any error as a MailregError with a documented code (a refused database commit: STORE_CONSTRAINT). */
function _asMailregError(cause: unknown): MailregError {
  if (isMailregError(cause)) return cause;
  const { code, message } = errorInfo(cause);
  return new MailregError(code, message, { cause });
}
