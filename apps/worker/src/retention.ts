/**
 * Retention in the worker: for each instance with `retention` in the config, messages stored more
 * than `deleteDays` ago are deleted (with their search rows and routing records), and the raw
 * sources of those stored more than `rawDays` ago are purged (metadata and the search index stay:
 * their text bodies are extracted first where the index lacks them). Age is when mailreg stored a
 * message, not its date. What is on the mail server is not touched (delete after fetch is the
 * collection's business). Runs at start and then every `retentionMs`; every batch that changed
 * something is written to the audit log in the same transaction, as `worker:<owner>`; each
 * instance with an effect logs one line and counts in the metrics.
 *
 * POP3 mailboxes that leave mail on the server are an exception to deleting: POP3 knows what it
 * stored by UIDL from the store, so a deleted message would be collected (and handed to the sinks)
 * again. Their messages past `deleteDays` have their raw sources purged instead (the rows stay as
 * the record of what was collected); each run logs a warning naming how many mailboxes this spared.
 *
 * Several workers may run it at the same time: a message is purged or deleted once, and a run
 * that finds nothing to do writes nothing.
 *
 * @module
 */
import { SOURCES } from "@mailreg/imap-sync";
import { searchText } from "@mailreg/message";
import {
  deleteMessagesOlderThan,
  indexPendingMessageText,
  listMailboxes,
  purgeRawOlderThan,
} from "@mailreg/store";
import type { WorkerContext } from "./context.ts";

const DAY_MS = 86_400_000;

/** What one retention run did for one instance. */
export interface RetentionOutcome {
  instanceId: string;
  /** Whole messages deleted. */
  deleted: number;
  /** Raw sources purged. */
  purged: number;
  /** Text bodies extracted into the search index before purging. */
  indexed: number;
  /**
   * Mailboxes leaving mail on the server whose source would collect a deleted message again (POP3:
   * `refetchesDeleted`), whose old messages were purged instead of deleted.
   */
  sparedPop3Mailboxes: number;
  /** Raw sources due but kept because their text body is not indexed yet (the next run takes them). */
  waitingForIndex: number;
}

/**
 * Runs retention once for every instance that has it.
 *
 * @param ctx the worker context
 * @param now the time to count ages from (default now)
 * @returns one outcome per instance with retention
 */
export async function runRetention(ctx: WorkerContext, now: Date = new Date()): Promise<RetentionOutcome[]> {
  const out: RetentionOutcome[] = [];
  const audit = { actor: `worker:${ctx.owner}` };
  for (const instance of ctx.config.instances) {
    const retention = instance.retention;
    if (retention === undefined) continue;
    const started = Date.now();
    const outcome: RetentionOutcome = {
      instanceId: instance.id,
      deleted: 0,
      purged: 0,
      indexed: 0,
      waitingForIndex: 0,
      sparedPop3Mailboxes: 0,
    };
    const purge = async (scope: { before: Date; instanceId: string; mailboxIds?: string[] }) => {
      // bodies the search index lacks are extracted first (the runs index what they store; this
      // catches up after a failure), so purging keeps the message findable by its words
      outcome.indexed += (await indexPendingMessageText(ctx.store, { extractText: searchText })).indexed;
      const done = await purgeRawOlderThan(ctx.store, { ...scope, audit });
      outcome.purged += done.purged;
      outcome.waitingForIndex = Math.max(outcome.waitingForIndex, done.waitingForIndex);
    };
    if (retention.deleteDays !== undefined) {
      const before = new Date(now.getTime() - retention.deleteDays * DAY_MS);
      const spared = (await listMailboxes(ctx.store, { instanceId: instance.id }))
        .filter(
          (m) =>
            SOURCES.get(m.protocol)?.refetchesDeleted === true &&
            !(ctx.config.worker.alwaysDeleteAfterFetch || instance.deleteAfterFetch || m.deleteAfterFetch),
        )
        .map((m) => m.id);
      outcome.deleted = await deleteMessagesOlderThan(ctx.store, {
        before,
        instanceId: instance.id,
        exceptMailboxIds: spared,
        audit,
      });
      if (spared.length > 0) {
        outcome.sparedPop3Mailboxes = spared.length;
        await purge({ before, instanceId: instance.id, mailboxIds: spared });
      }
    }
    if (retention.rawDays !== undefined) {
      await purge({ before: new Date(now.getTime() - retention.rawDays * DAY_MS), instanceId: instance.id });
    }
    out.push(outcome);
    const { retentionMessages } = ctx.routingMetrics;
    if (outcome.deleted > 0)
      retentionMessages.inc({ instance: instance.id, action: "delete" }, outcome.deleted);
    if (outcome.purged > 0)
      retentionMessages.inc({ instance: instance.id, action: "purge-raw" }, outcome.purged);
    if (outcome.deleted + outcome.purged + outcome.waitingForIndex > 0) {
      ctx.logger[outcome.sparedPop3Mailboxes > 0 ? "warn" : "info"]("retention", {
        instance: instance.id,
        deleted: outcome.deleted,
        purged: outcome.purged,
        indexed: outcome.indexed,
        waitingForIndex: outcome.waitingForIndex,
        ...(outcome.sparedPop3Mailboxes > 0
          ? {
              sparedPop3Mailboxes: outcome.sparedPop3Mailboxes,
              note: "POP3 mailboxes that leave mail on the server keep their old messages' rows (raw purged): deleted, they would be collected again",
            }
          : {}),
        rawDays: retention.rawDays ?? null,
        deleteDays: retention.deleteDays ?? null,
        ms: Date.now() - started,
        worker: ctx.owner,
      });
    }
  }
  return out;
}

/** The retention loop of a worker. */
export interface RetentionLoop {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs retention now and then every `intervalMs` until stopped (only when some instance has
 * retention). A failed run is logged and counted; the next one tries again.
 *
 * @param ctx the worker context
 * @param intervalMs the pause between runs
 * @returns the loop
 */
export function startRetention(ctx: WorkerContext, intervalMs: number): RetentionLoop {
  if (!ctx.config.instances.some((i) => i.retention !== undefined)) return { stop: async () => {} };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const round = async (): Promise<void> => {
    try {
      await runRetention(ctx);
      ctx.routingMetrics.retentionRuns.inc({ status: "ok" });
    } catch (error) {
      ctx.routingMetrics.retentionRuns.inc({ status: "failed" });
      ctx.logger.error("retention failed", { error: String(error), worker: ctx.owner });
    }
    if (stopped) return;
    timer = setTimeout(() => {
      running = round();
    }, intervalMs);
  };
  let running = round();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
