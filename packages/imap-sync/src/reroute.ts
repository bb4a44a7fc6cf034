/**
 * Re-running routing rules over stored messages: after the rules (or the sinks) changed, each
 * stored message goes to the sinks the current rules choose that it has not reached yet. A message
 * is delivered to a sink at most once: where the ledger says delivered (or failed / dead-letter:
 * those are retried from the dead-letter list) that sink is skipped; a message whose raw source
 * retention purged is never sent again. What it reads and writes is a {@link RerouteState}
 * (`storeRerouteState(store)` of `@mailreg/store`); the lease that keeps a worker off the mailbox
 * meanwhile, {@link MailboxLeases}.
 *
 * @module
 */
import { newId, type Routing } from "@mailreg/core";
import { parseEnvelope } from "./envelope.ts";
import type { MailboxLeases, RerouteState, SinkState } from "./ports.ts";
import { routingForMailbox } from "./routing.ts";
import type { Sink } from "./sink.ts";
import { type DispatchMessage, dispatchToSinks, sinkName } from "./sink-dispatch.ts";

/** The mailbox a re-run is about. */
export interface RerouteMailbox {
  /** The mailbox's id. */
  id: string;
  /** Its instance (whose routing applies). */
  instanceId: string;
  /** Its address (the mailbox's own routing rules match it). */
  address: string;
}

/** Options of {@link rerouteStoredMessages}. */
export interface RerouteOptions {
  /** The configured sinks, named by `id ?? kind`. */
  sinks: readonly Sink[];
  /** The mailboxes whose stored messages are routed again. */
  mailboxes: readonly RerouteMailbox[];
  /**
   * An instance's routing (undefined: every sink); each mailbox gets the instance-wide rules and its
   * own (see `routingForMailbox`).
   */
  routingFor: (instanceId: string) => Routing | undefined;
  /** Called after each page. */
  onProgress?: (progress: RerouteSummary) => void;
  /** Aborting stops after the current page. */
  signal?: AbortSignal;
  /** Messages per page. Default 200. */
  pageSize?: number;
}

/** What a re-run did. */
export interface RerouteSummary {
  /** Stored messages looked at. */
  messages: number;
  /** Deliveries made now. */
  delivered: number;
  /** Deliveries that failed now (kept as dead letters). */
  failed: number;
  /** Messages whose every sink was already reached, or that the rules send nowhere new. */
  unchanged: number;
  /** Messages skipped because retention purged their raw source (never sent again). */
  skippedPurged: number;
}

/** States after which a re-run leaves a message alone at a sink. */
const _DONE: ReadonlySet<SinkState> = new Set(["delivered", "failed", "dead-letter"]);

/**
 * Applies the current routing rules to stored messages, delivering each to a sink at most once.
 *
 * @param state the held messages, their ledger and dead letters
 * @param options the sinks, the mailboxes, each instance's routing, progress, abort signal
 * @returns counts
 * @example
 * ```ts
 * import { createSink, type RerouteState, rerouteStoredMessages } from "@mailreg/imap-sync";
 * // the store's adapter (`storeRerouteState(store)` of @mailreg/store), or a state of your own
 * declare const state: RerouteState;
 * const archive = createSink({ kind: "maildir", root: "./export" }, "archive");
 * const summary = await rerouteStoredMessages(state, {
 *   sinks: [archive],
 *   mailboxes: [{ id: "0193…", instanceId: "sales", address: "ann@example.org" }],
 *   routingFor: () => ({ rules: [{ match: { hasAttachment: true }, sinks: ["archive"] }], default: [] }),
 * });
 * console.log(summary.delivered);
 * ```
 */
export async function rerouteStoredMessages(
  state: RerouteState,
  options: RerouteOptions,
): Promise<RerouteSummary> {
  const summary: RerouteSummary = { messages: 0, delivered: 0, failed: 0, unchanged: 0, skippedPurged: 0 };
  const names = options.sinks.map(sinkName);
  const limit = options.pageSize ?? 200;
  for (const mailbox of options.mailboxes) {
    if (options.sinks.length === 0) break;
    const routing = routingForMailbox(options.routingFor(mailbox.instanceId), mailbox.address);
    const delimiters = await state.folderDelimiters(mailbox.id);
    let after: string | undefined;
    for (;;) {
      if (options.signal?.aborted === true) return summary;
      const page = await state.heldMessageIds(mailbox.id, {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      if (page.length === 0) break;
      after = page.at(-1)!.id;
      const states = await state.ledger.sinkStates(page.map((m) => m.id));
      const done = (id: string, sink: string) => {
        const state = states.get(id)?.get(sink);
        return state !== undefined && _DONE.has(state);
      };
      const todo: DispatchMessage[] = [];
      for (const ref of page) {
        summary.messages++;
        if (ref.rawPurged) {
          summary.skippedPurged++;
          continue;
        }
        if (names.every((n) => done(ref.id, n))) {
          summary.unchanged++;
          continue;
        }
        const row = await state.heldMessage(ref.id);
        if (row?.raw === undefined) {
          summary.skippedPurged += row === undefined ? 0 : 1;
          continue;
        }
        todo.push({
          id: row.id,
          key: row.key,
          raw: row.raw,
          size: row.size,
          flags: row.flags,
          envelope: parseEnvelope(row.raw),
          delimiter: delimiters.get(row.key.folder) ?? null,
          contentHash: row.contentHash,
          ...(row.internalDate === undefined ? {} : { internalDate: row.internalDate }),
        });
      }
      const { results, deadLetters } = await dispatchToSinks(options.sinks, routing, todo, done);
      if (deadLetters.length > 0) await state.addDeadLetters(deadLetters);
      if (results.length > 0) await state.ledger.recordSinkResults(results);
      const reached = new Set<string>();
      for (const r of results) {
        if (r.state === "delivered") {
          summary.delivered++;
          reached.add(r.messageRowId);
        } else if (r.state !== "dropped") {
          summary.failed++;
          reached.add(r.messageRowId);
        }
      }
      summary.unchanged += todo.filter((m) => !reached.has(m.id)).length;
      options.onProgress?.({ ...summary });
      if (page.length < limit) break;
    }
  }
  return summary;
}

/** Options of {@link rerouteMailbox}. */
export interface RerouteMailboxOptions extends Omit<RerouteOptions, "mailboxes"> {
  /** Who asked (an admin user name, `cli`); written to the audit log. */
  actor: string;
  /** The lease length in seconds (the worker's `leaseSeconds`). Default 120. */
  leaseSeconds?: number;
}

/** What {@link rerouteMailbox} did: ran now, or left a request for the worker holding the mailbox. */
export type RerouteMailboxResult = ({ ran: true } & RerouteSummary) | { ran: false; requested: true };

/**
 * The administrator's "re-run the rules over stored messages" for one mailbox. When its lease is
 * free: under the lease (so no worker stores and hands on new mail meanwhile, and no second re-run
 * runs at the same time), {@link rerouteHeldMailbox}. When a worker holds it (collecting, or
 * watching with IMAP IDLE): a request ({@link MailboxLeases.requestReroute}) that the worker runs
 * after its current run, under the same lease. Running it again delivers nothing more (a delivered
 * message is never delivered again).
 *
 * @param state the held messages, their ledger and dead letters, and the mailbox leases
 * @param mailbox the mailbox
 * @param options sinks, routing, actor, progress, abort signal
 * @returns the counts, or that it was requested
 */
export async function rerouteMailbox(
  state: RerouteState & MailboxLeases,
  mailbox: RerouteMailbox,
  options: RerouteMailboxOptions,
): Promise<RerouteMailboxResult> {
  const { leaseSeconds = 120, ...rest } = options;
  const owner = `reroute-${newId()}`;
  const lease = { mailboxId: mailbox.id, owner, seconds: leaseSeconds };
  if (!(await state.acquireLease(lease))) {
    await state.requestReroute(mailbox.id, { actor: options.actor });
    return { ran: false, requested: true };
  }
  const renew = setInterval(() => void state.renewLease(lease).catch(() => {}), (leaseSeconds * 1000) / 3);
  try {
    return { ran: true, ...(await rerouteHeldMailbox(state, mailbox, rest)) };
  } finally {
    clearInterval(renew);
    await Promise.resolve(state.releaseLease({ mailboxId: mailbox.id, owner })).catch(() => {});
  }
}

/**
 * Re-runs the rules over the stored messages of a mailbox whose lease the caller holds (the worker
 * serving a request), then writes one audit entry `mailbox.reroute` with the counts (where the
 * state keeps an audit log).
 *
 * @param state the held messages, their ledger and dead letters
 * @param mailbox the mailbox
 * @param options sinks, routing, actor, progress, abort signal
 * @returns the counts
 */
export async function rerouteHeldMailbox(
  state: RerouteState,
  mailbox: RerouteMailbox,
  options: Omit<RerouteMailboxOptions, "leaseSeconds">,
): Promise<RerouteSummary> {
  const { actor, ...rest } = options;
  const summary = await rerouteStoredMessages(state, { ...rest, mailboxes: [mailbox] });
  await state.audit?.({
    actor,
    action: "mailbox.reroute",
    mailboxId: mailbox.id,
    details: { address: mailbox.address, ...summary },
  });
  return summary;
}
