/**
 * The ports filled from memory, for a program without a database: {@link mailboxDirectory} over a
 * list of mailboxes, {@link memoryOutbox} a queue in a Map with the same promises as the store's
 * (idempotent by Message-ID, one claim at a time, claims that expire). Nothing survives the process:
 * what must survive a crash goes through `@mailreg/store`'s `storeOutbox(store)`.
 *
 * @module
 */
import { addressKey, MailregError, normalizeAddress } from "@mailreg/core";
import type {
  MailboxDirectory,
  Outbox,
  OutboxClaim,
  OutboxFailure,
  OutboxInsert,
  OutboxSent,
  OutboxStatus,
  QueuedMessage,
  SendingMailbox,
  SentCopyRecord,
} from "./ports.ts";

/**
 * A directory over a fixed list of mailboxes.
 *
 * @param mailboxes the mailboxes (their addresses are normalised here; found by address with the local
 *   part in any case, as `@mailreg/store` finds them by default)
 * @returns the directory
 * @throws {MailregError} ADDRESS_INVALID when a mailbox's address is not valid
 * @example
 * ```ts
 * import { mailboxDirectory } from "@mailreg/smtp-resolver";
 * const directory = mailboxDirectory([
 *   { id: "ann", address: "ann@example.org", instanceId: "sales", template: null, login: "ann", authMethod: "password" },
 * ]);
 * console.log((await directory.findByAddress("ann@example.org")).map((m) => m.id)); // [ "ann" ]
 * ```
 */
export function mailboxDirectory(mailboxes: readonly SendingMailbox[]): MailboxDirectory {
  const list = mailboxes.map((m) => ({ ...m, address: normalizeAddress(m.address) }));
  const keys = new Map(list.map((m) => [m, addressKey(m.address)]));
  return {
    async get(id) {
      const found = list.find((m) => m.id === id);
      if (found === undefined)
        throw new MailregError("NOT_FOUND", `Mailbox ${id} does not exist`, { details: { id } });
      return found;
    },
    async findByAddress(address, options = {}) {
      let key: string;
      try {
        key = addressKey(address);
      } catch {
        return []; // not an address: no mailbox has it
      }
      return list.filter(
        (m) =>
          keys.get(m) === key && (options.instanceId === undefined || m.instanceId === options.instanceId),
      );
    },
  };
}

/** A message in a {@link MemoryOutbox}, as it stands. */
export interface MemoryOutboxEntry extends QueuedMessage {
  raw: Uint8Array;
  /** queued: when it is due; sending: when the claim expires. */
  nextAttemptAt: Date | null;
  claimToken: string | null;
  lastError: string | null;
  errorCode: string | null;
  /** The server's last answer. */
  response: string | null;
  sentAt: Date | null;
  /** The Sent folder the copy went to. */
  sentFolder: string | null;
}

/** An outbox in memory: the ports, and a look at what became of each message. */
export interface MemoryOutbox extends Outbox {
  /** Every message, oldest first (copies: changing them changes nothing). */
  entries(): MemoryOutboxEntry[];
  /** How many messages are in each status. */
  counts(): Record<OutboxStatus, number>;
}

/**
 * An outbox kept in memory: `enqueue`, `deliverDue` and `drainOutbox` work on it as on the store's.
 *
 * @param options the mailboxes it sends for (a directory, or a list)
 * @returns the outbox
 * @example
 * ```ts
 * import { enqueue, memoryOutbox } from "@mailreg/smtp-resolver";
 * const outbox = memoryOutbox({
 *   mailboxes: [{ id: "ann", address: "ann@example.org", instanceId: "sales", template: null, login: "ann", authMethod: "password" }],
 * });
 * const queued = await enqueue(outbox, { mailboxId: "ann", message: { to: "bob@example.org", subject: "Hi", text: "Hello" } });
 * console.log(queued.status, outbox.counts().queued); // queued 1
 * ```
 */
export function memoryOutbox(options: {
  mailboxes: MailboxDirectory | readonly SendingMailbox[];
}): MemoryOutbox {
  const mailboxes = Array.isArray(options.mailboxes)
    ? mailboxDirectory(options.mailboxes as readonly SendingMailbox[])
    : (options.mailboxes as MailboxDirectory);
  const rows = new Map<string, MemoryOutboxEntry>();
  const view = (row: MemoryOutboxEntry): QueuedMessage => ({
    id: row.id,
    mailboxId: row.mailboxId,
    messageId: row.messageId,
    envelope: { from: row.envelope.from, to: [...row.envelope.to] },
    status: row.status,
    attempts: row.attempts,
  });
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const endClaim = (failure: OutboxFailure, status: "queued" | "failed", next: Date | null): boolean => {
    const row = rows.get(failure.id);
    if (row === undefined || row.status !== "sending" || row.claimToken !== failure.token) return false;
    Object.assign(row, {
      status,
      nextAttemptAt: next,
      claimToken: null,
      lastError: failure.error,
      errorCode: failure.errorCode,
      response: failure.response ?? null,
    });
    return true;
  };
  return {
    mailboxes,
    queue: {
      async insert(input: OutboxInsert) {
        for (const row of rows.values()) {
          if (row.mailboxId === input.mailboxId && row.messageId === input.messageId)
            return { message: view(row), created: false };
        }
        await mailboxes.get(input.mailboxId); // NOT_FOUND, as a foreign key would
        const row: MemoryOutboxEntry = {
          id: input.id,
          mailboxId: input.mailboxId,
          messageId: input.messageId,
          envelope: { from: input.envelope.from, to: [...input.envelope.to] },
          status: "queued",
          attempts: 0,
          raw: input.raw.slice(),
          nextAttemptAt: input.at ?? new Date(),
          claimToken: null,
          lastError: null,
          errorCode: null,
          response: null,
          sentAt: null,
          sentFolder: null,
        };
        rows.set(row.id, row);
        return { message: view(row), created: true };
      },
      async claimDue(claim: OutboxClaim) {
        const now = claim.now.getTime();
        const due = [...rows.values()]
          .filter(
            (r) =>
              (r.status === "queued" || r.status === "sending") &&
              r.nextAttemptAt !== null &&
              r.nextAttemptAt.getTime() <= now,
          )
          .sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) || byId(a, b))
          .slice(0, Math.max(0, claim.limit));
        for (const row of due) {
          row.status = "sending";
          row.claimToken = claim.token;
          row.nextAttemptAt = new Date(now + claim.leaseMs);
          row.attempts++;
        }
        return due.sort(byId).map(view);
      },
      async readRaw(ids: readonly string[]) {
        const out = new Map<string, Uint8Array>();
        for (const id of ids) {
          const row = rows.get(id);
          if (row !== undefined) out.set(id, row.raw);
        }
        return out;
      },
      async markSent(sent: readonly OutboxSent[]) {
        let marked = 0;
        for (const s of sent) {
          const row = rows.get(s.id);
          if (row === undefined || row.status === "sent") continue;
          Object.assign(row, {
            status: "sent",
            sentAt: s.at,
            response: s.response,
            lastError: s.note ?? null,
            errorCode: null,
            claimToken: null,
            nextAttemptAt: null,
          });
          marked++;
        }
        return marked;
      },
      async retryLater(failure: OutboxFailure & { nextAttemptAt: Date }) {
        return endClaim(failure, "queued", failure.nextAttemptAt);
      },
      async fail(failure: OutboxFailure) {
        return endClaim(failure, "failed", null);
      },
      async recordSentCopy(id: string, copy: SentCopyRecord) {
        const row = rows.get(id);
        if (row === undefined) return;
        if ("folder" in copy) {
          row.sentFolder = copy.folder;
          // a copy that failed before and worked now: its error goes (a note of the send stays)
          if (row.errorCode !== null) Object.assign(row, { lastError: null, errorCode: null });
        } else Object.assign(row, { sentFolder: null, lastError: copy.error, errorCode: copy.errorCode });
      },
    },
    entries() {
      return [...rows.values()].sort(byId).map((r) => ({
        ...r,
        envelope: { from: r.envelope.from, to: [...r.envelope.to] },
        raw: r.raw.slice(),
      }));
    },
    counts() {
      const counts: Record<OutboxStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0 };
      for (const r of rows.values()) counts[r.status]++;
      return counts;
    },
  };
}
