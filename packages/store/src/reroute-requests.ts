/**
 * "Re-run the routing rules" requests for a mailbox a worker holds (it is being collected, or
 * watched with IMAP IDLE): a `settings` row `worker.reroute-request:<mailbox id>`, beside a "sync
 * now" request so that the worker holding the mailbox runs it; that worker applies the rules after
 * the run, under the same lease, and takes the request away.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import { settings } from "./schema.ts";
import type { Store } from "./store.ts";
import { requestSync } from "./worker-state.ts";
import { writeTransaction } from "./write-lock.ts";

const _PREFIX = "worker.reroute-request:";

/** A pending request. */
export interface RerouteRequest {
  /** Who asked (audited when it runs). */
  actor: string;
  requestedAt: string;
}

/**
 * Records a request to re-run the routing rules over a mailbox's stored messages, and asks for a
 * sync so that a worker takes the mailbox up.
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @param options who asks; when
 * @throws {MailregError} NOT_FOUND when the mailbox does not exist
 * @example
 * ```ts
 * import { openStore, requestReroute } from "@mailreg/store";
 * const store = await openStore({ url: "file:./data/mailreg.db" });
 * await requestReroute(store, "0193…", { actor: "admin" });
 * store.close();
 * ```
 */
export async function requestReroute(
  store: Store,
  mailboxId: string,
  options: { actor: string; now?: Date },
): Promise<void> {
  const requestedAt = (options.now ?? new Date()).toISOString();
  const value: RerouteRequest = { actor: options.actor, requestedAt };
  await writeTransaction(store, async (tx) => {
    await requestSync(tx, mailboxId, { actor: options.actor, now: new Date(requestedAt) });
    await tx
      .insert(settings)
      .values({ key: `${_PREFIX}${mailboxId}`, value, updatedAt: requestedAt })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: requestedAt } })
      .run();
  });
}

/**
 * Takes a mailbox's pending request away (the caller holds the mailbox's lease and runs it).
 *
 * @param store the open store
 * @param mailboxId the mailbox
 * @returns the request, or undefined when there is none
 */
export async function takeRerouteRequest(
  store: Store,
  mailboxId: string,
): Promise<RerouteRequest | undefined> {
  return await writeTransaction(store, async (tx) => {
    const key = `${_PREFIX}${mailboxId}`;
    const row = await tx.select().from(settings).where(eq(settings.key, key)).get();
    if (row === undefined) return undefined;
    await tx.delete(settings).where(eq(settings.key, key)).run();
    return row.value as RerouteRequest;
  });
}
