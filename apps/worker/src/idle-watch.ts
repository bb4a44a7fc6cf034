/**
 * IMAP IDLE for the mailboxes whose instance opts in (`schedule.idle`). For each such mailbox
 * whose lease this worker can hold, one connection IDLEs on INBOX; new mail requests a sync (the
 * store's "sync now"), so the normal scheduler collects it under its lease — never a second sync
 * beside it. The lease is held (and renewed) while watching, so one worker watches a mailbox and
 * collects it; a lost lease ends the watch. A dropped connection is reopened with backoff.
 *
 * @module
 */
import { open } from "@mailreg/crypto-registry";
import { closeImap, connectImap } from "@mailreg/imap-sync";
import { acquireLease, listMailboxes, type Mailbox, releaseLease, requestSync } from "@mailreg/store";
import type { WorkerContext } from "./context.ts";
import { connectOptionsFor } from "./sync-options.ts";

/** The IDLE watches of a worker, from {@link startIdleWatch}. */
export interface IdleWatch {
  /** The mailboxes watched now. */
  watching(): string[];
  /** Ends every watch, closes the connections and gives their leases back. */
  stop(): Promise<void>;
}

/** Options of {@link startIdleWatch}. */
export interface IdleWatchOptions {
  /** How often to look for opted-in mailboxes and renew the leases (ms). */
  scanMs: number;
  /** Called after a sync was requested for new mail (the worker wakes its scheduler). */
  onNewMail: (mailboxId: string) => void;
  /** Whether a run of the mailbox is under way (its lease is then the run's to release). */
  isRunning: (mailboxId: string) => boolean;
}

/**
 * Starts watching the opted-in mailboxes.
 *
 * @param ctx the worker context
 * @param options scan interval and callbacks
 * @returns the running watch
 */
export function startIdleWatch(ctx: WorkerContext, options: IdleWatchOptions): IdleWatch {
  const stopping = new AbortController();
  const watches = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const seconds = ctx.config.worker.leaseSeconds;
  const everyMs = Math.min(options.scanMs, (seconds * 1000) / 3);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const end = async (mailboxId: string) => {
    const watch = watches.get(mailboxId);
    if (watch === undefined) return;
    watches.delete(mailboxId);
    watch.abort.abort();
    await watch.done;
    if (!options.isRunning(mailboxId)) await releaseLease(ctx.store, { mailboxId, owner: ctx.owner });
  };

  const scan = async () => {
    const idle = new Set(ctx.config.instances.filter((i) => i.schedule.idle).map((i) => i.id));
    const wanted =
      idle.size === 0
        ? []
        : (await listMailboxes(ctx.store)).filter(
            (m) => m.protocol === "imap" && m.autoFetch && idle.has(m.instanceId),
          );
    const ids = new Set(wanted.map((m) => m.id));
    for (const id of watches.keys()) if (!ids.has(id)) await end(id);
    for (const mailbox of wanted) {
      if (stopping.signal.aborted) return;
      // taken or kept: the same owner re-acquires its own lease (a run ending releases it)
      const held = await acquireLease(ctx.store, { mailboxId: mailbox.id, owner: ctx.owner, seconds });
      if (!held) {
        if (watches.has(mailbox.id)) {
          ctx.logger.warn("IDLE stopped: another worker holds the lease", { mailboxId: mailbox.id });
          await end(mailbox.id);
        }
        continue;
      }
      if (watches.has(mailbox.id)) continue;
      const abort = new AbortController();
      watches.set(mailbox.id, { abort, done: _watch(ctx, mailbox, abort.signal, options.onNewMail) });
    }
  };

  const loop = async () => {
    try {
      await scan();
    } catch (error) {
      ctx.logger.error("IDLE scan failed", { error: String(error), worker: ctx.owner });
    }
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      running = loop();
    }, everyMs);
  };
  let running = loop();

  return {
    watching: () => [...watches.keys()],
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
      await Promise.all([...watches.keys()].map(end));
    },
  };
}

/** One mailbox's IDLE connection, reopened with backoff (1 s doubling to 60 s) until `signal`. */
async function _watch(
  ctx: WorkerContext,
  mailbox: Mailbox,
  signal: AbortSignal,
  onNewMail: (mailboxId: string) => void,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      await _idleOnce(ctx, mailbox, signal, async () => {
        failures = 0;
        await requestSync(ctx.store, mailbox.id, { actor: "idle" });
        onNewMail(mailbox.id);
      });
    } catch (error) {
      ctx.logger.warn("IDLE connection failed", { mailboxId: mailbox.id, error: String(error) });
    }
    if (signal.aborted) return;
    failures++;
    await _sleep(Math.min(1000 * 2 ** (failures - 1), 60_000), signal);
  }
}

/** Connects, opens INBOX and IDLEs until the connection drops or `signal` aborts. */
async function _idleOnce(
  ctx: WorkerContext,
  mailbox: Mailbox,
  signal: AbortSignal,
  onNew: () => Promise<void>,
): Promise<void> {
  const profile = await open(mailbox.sealed, ctx.keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  const client = await connectImap(profile, {
    ...connectOptionsFor(ctx.config, mailbox, {
      ...(ctx.ca === undefined ? {} : { ca: ctx.ca }),
      ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
    }),
    ...(profile.auth.method === "oauth2" && ctx.accessToken !== undefined
      ? { accessToken: await ctx.accessToken(profile, mailbox) }
      : {}),
  });
  let closing: Promise<void> | undefined;
  const onAbort = () => {
    closing = closeImap(client);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.on("exists", (data: { count: number; prevCount: number }) => {
      if (data.count > data.prevCount)
        onNew().catch((error: unknown) =>
          ctx.logger.warn("IDLE could not request a sync", { mailboxId: mailbox.id, error: String(error) }),
        );
    });
    await client.mailboxOpen("INBOX", { readOnly: true });
    ctx.logger.info("IDLE watching", { mailboxId: mailbox.id, worker: ctx.owner });
    while (!signal.aborted && client.usable) {
      const started = Date.now();
      await Promise.race([client.idle(), closed]);
      // a server that ends IDLE at once: do not spin
      if (Date.now() - started < 1000) await _sleep(1000, signal);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    await (closing ?? closeImap(client));
  }
}

function _sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
