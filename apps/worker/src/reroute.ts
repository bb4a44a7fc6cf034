/**
 * "Re-run the rules over stored messages" for one mailbox, with the worker's config and sinks (what
 * `mailreg mailboxes reroute` runs): the current routing rules of the mailbox's instance applied to
 * what the store holds, each message delivered to a sink at most once, under the mailbox's lease,
 * audited. While a worker holds the mailbox, a request that worker serves after its run
 * ({@link serveRerouteRequest}).
 *
 * @module
 */
import {
  type MailboxLeases,
  type RerouteMailboxResult,
  type RerouteState,
  type RerouteSummary,
  rerouteHeldMailbox,
  rerouteMailbox,
} from "@mailreg/imap-sync";
import {
  getMailbox,
  type Mailbox,
  requestReroute,
  type Store,
  storeRerouteState,
  takeRerouteRequest,
} from "@mailreg/store";
import { type WorkerContext, workerContext } from "./context.ts";
import type { WorkerDeps } from "./deps.ts";

/**
 * Applies the current routing rules to one mailbox's stored messages once.
 *
 * @param deps config, store, keyring and the optional rest (sinks, env)
 * @param mailboxId the mailbox
 * @param options who asked (for the audit log); progress after each page
 * @returns the counts, or `{ ran: false, requested: true }` while a worker holds the mailbox
 * @throws {MailregError} NOT_FOUND for no such mailbox
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * import { loadKeyring } from "@mailreg/crypto-registry";
 * import { openStore } from "@mailreg/store";
 * import { rerouteMailboxNow } from "@mailreg/worker";
 * const { config } = await loadConfig();
 * const store = await openStore({ url: config.database.url });
 * const keyring = await loadKeyring({ publicKeyFile: config.keys.publicKeyFile, privateKeyDir: config.keys.privateKeyDir });
 * console.log(await rerouteMailboxNow({ config, store, keyring }, "0193…", { actor: "cli" }));
 * store.close();
 * ```
 */
export async function rerouteMailboxNow(
  deps: WorkerDeps,
  mailboxId: string,
  options: { actor: string; onProgress?: (progress: RerouteSummary) => void },
): Promise<RerouteMailboxResult> {
  const ctx = workerContext(deps);
  const mailbox = await getMailbox(ctx.store, mailboxId);
  return await rerouteMailbox(rerouteStateOf(ctx.store), mailbox, {
    actor: options.actor,
    sinks: ctx.sinks,
    routingFor: (id) => ctx.config.instances.find((i) => i.id === id)?.routing,
    leaseSeconds: ctx.config.worker.leaseSeconds,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}

/**
 * Serves a pending re-run request of a mailbox whose lease this worker holds (after its run).
 *
 * @param ctx the worker context
 * @param mailbox the mailbox
 * @param signal the worker stopping: the re-run stops after its current page and is asked for again
 * @returns the counts, or undefined when nothing was requested
 */
export async function serveRerouteRequest(
  ctx: WorkerContext,
  mailbox: Pick<Mailbox, "id" | "instanceId" | "address">,
  signal?: AbortSignal,
): Promise<RerouteSummary | undefined> {
  const request = await takeRerouteRequest(ctx.store, mailbox.id);
  if (request === undefined) return undefined;
  const summary = await rerouteHeldMailbox(rerouteStateOf(ctx.store), mailbox, {
    actor: request.actor,
    sinks: ctx.sinks,
    routingFor: (id) => ctx.config.instances.find((i) => i.id === id)?.routing,
    ...(signal === undefined ? {} : { signal }),
  });
  // stopped part way: asked for again, so the next worker to hold the mailbox finishes it (what
  // was delivered is not delivered again)
  if (signal?.aborted === true) await requestReroute(ctx.store, mailbox.id, { actor: request.actor });
  ctx.logger.info("reroute", {
    mailboxId: mailbox.id,
    requestedBy: request.actor,
    ...summary,
    worker: ctx.owner,
  });
  return summary;
}

/**
 * The store's adapter of imap-sync's reroute ports (a drift between the two fails the type check here).
 *
 * @param store the open store
 * @returns the held messages, ledger, dead letters, audit log and leases of the store
 */
export function rerouteStateOf(store: Store): RerouteState & MailboxLeases {
  const state: RerouteState & MailboxLeases = storeRerouteState(store);
  return state;
}
