/**
 * The admin's routing actions: re-run the current routing rules over a mailbox's stored messages
 * (each message reaches a sink at most once), and retry a dead letter. Both need the configured
 * sinks (`AppDeps.sinks`; `prepareApp` builds them from the config, the webhook secrets from the
 * environment) and are audited.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import {
  type DeadLetterQueue,
  type MailboxLeases,
  pauseAfterGiveUp,
  type RerouteMailboxResult,
  type RerouteState,
  type RetryResult,
  rerouteMailbox,
  retryDeadLetter,
  type Sink,
} from "@mailreg/imap-sync";
import {
  appendAudit,
  getDeadLetter,
  getMailbox,
  storeDeadLetterQueue,
  storeRerouteState,
} from "@mailreg/store";
import type { AppContext } from "../app-context.ts";

/** What the routing actions use of the app context. */
export type RoutingActionContext = Pick<AppContext, "store" | "config" | "clock" | "sinks">;

function _sinks(ctx: RoutingActionContext): readonly Sink[] {
  if (ctx.sinks === undefined) {
    throw new MailregError(
      "DEPENDENCY_MISSING",
      "This server has no sinks to deliver with (its configured webhook secrets are not in its environment)",
    );
  }
  return ctx.sinks;
}

/**
 * Applies the current routing rules of the mailbox's instance to its stored messages, once.
 *
 * @param ctx store, config and sinks
 * @param input mailbox id and who asks
 * @returns the mailbox's id and address, and the counts (`ran: true`), or `ran: false` when a worker
 *   holds the mailbox and was asked to do it after its current run
 * @throws {MailregError} NOT_FOUND, DEPENDENCY_MISSING
 */
export async function rerouteMailboxAction(
  ctx: RoutingActionContext,
  input: { id: string; actor: string },
): Promise<{ mailboxId: string; address: string } & RerouteMailboxResult> {
  const mailbox = await getMailbox(ctx.store, input.id);
  // the store's adapter of imap-sync's ports: a drift between the two fails the type check here
  const state: RerouteState & MailboxLeases = storeRerouteState(ctx.store);
  const summary = await rerouteMailbox(state, mailbox, {
    actor: input.actor,
    // a sink that gives up is paused: the rest of the messages go to the dead-letter list at once
    sinks: _sinks(ctx).map((s) => pauseAfterGiveUp(s)),
    routingFor: (id) => ctx.config.instances.find((i) => i.id === id)?.routing,
    leaseSeconds: ctx.config.worker.leaseSeconds,
  });
  return { mailboxId: mailbox.id, address: mailbox.address, ...summary };
}

/**
 * Delivers a dead letter again; on success it leaves the list.
 *
 * @param ctx store and sinks
 * @param input dead letter id and who asks
 * @returns what happened, and the sink's name
 * @throws {MailregError} NOT_FOUND, DEPENDENCY_MISSING
 */
export async function retryDeadLetterAction(
  ctx: RoutingActionContext,
  input: { id: string; actor: string },
): Promise<RetryResult & { sink: string }> {
  const letter = await getDeadLetter(ctx.store, input.id);
  if (letter === undefined) {
    throw new MailregError("NOT_FOUND", `No dead letter has the id ${input.id}`, {
      details: { id: input.id },
    });
  }
  const queue: DeadLetterQueue = storeDeadLetterQueue(ctx.store);
  const result = await retryDeadLetter(queue, _sinks(ctx), letter.id);
  await appendAudit(ctx.store, {
    actor: input.actor,
    action: "dead-letter.retry",
    subjectType: "mailbox",
    subjectId: letter.mailboxId,
    details: { deadLetter: letter.id, sink: letter.sink, ...result },
    at: ctx.clock(),
  });
  return { ...result, sink: letter.sink };
}
