/**
 * Delivering the outbox: on its own timer the worker runs `drainOutbox` of
 * `@mailreg/smtp-resolver` through ONE pooled `Sender` kept for the worker's life. Each mailbox's
 * SMTP server comes from the config's precedence chain (`configTargets`), the queue and the mailboxes
 * from the store (`storeOutbox` of `@mailreg/store`, typed as smtp-resolver's `Outbox` port, so the
 * compiler catches drift between the two); each sent message is
 * copied, flagged `\Seen`, into the mailbox's Sent folder over IMAP (the template's `sentFolder`, else
 * the folder the server marks `\Sent`), with the template's certificate policy. Several workers may
 * deliver from one database: the outbox's claims keep a message with one of them. Stopping claims
 * no more, finishes the messages already claimed, then closes the sender's connections.
 *
 * @module
 */
import { type ConnectionProfile, MailregError, networkPolicy } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import { templateTls } from "@mailreg/imap-sync";
import {
  type AccessTokenSource,
  configTargets,
  copyToSentAgain,
  type DeliverReport,
  type DeliveryOutcome,
  drainOutbox,
  type Outbox,
  Sender,
  type SendingMailbox,
  type SentFolderAppender,
} from "@mailreg/smtp-resolver";
import { imapSentFolder } from "@mailreg/smtp-resolver/imap-sent-folder";
import { getMailbox, getOutboxMessage, storeOutbox } from "@mailreg/store";
import { type WorkerContext, workerContext } from "./context.ts";
import type { WorkerDeps } from "./deps.ts";

/** The outbox loop of a worker. */
export interface OutboxDelivery {
  /** Stops the timer, lets the messages already claimed finish, closes the SMTP connections. */
  stop(): Promise<void>;
}

/**
 * Starts delivering the outbox now and then every `intervalMs` after the previous round ended.
 *
 * @param ctx the worker context (config, store, keyring, extra CAs, timeout, logger, metrics)
 * @param intervalMs the pause between rounds
 * @returns the loop, to stop
 */
export function startOutboxDelivery(ctx: WorkerContext, intervalMs: number): OutboxDelivery {
  const stopping = new AbortController();
  const policy = networkPolicy(ctx.config);
  const sender = new Sender({
    policy,
    ...(ctx.ca === undefined ? {} : { ca: ctx.ca }),
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
  });
  const outbox: Outbox = storeOutbox(ctx.store);
  const { appender, getAccessToken } = _sentFolderAppender(ctx, policy);
  const tokens = getAccessToken === undefined ? {} : { getAccessToken };
  const options = {
    targetFor: configTargets({ config: ctx.config, keyring: ctx.keyring, ...tokens }),
    sentFolder: appender,
    signal: stopping.signal,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const round = async (): Promise<void> => {
    try {
      _record(ctx, await drainOutbox(outbox, sender, options));
    } catch (error) {
      ctx.logger.error("outbox delivery failed", { error: String(error), worker: ctx.owner });
    }
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      running = round();
    }, intervalMs);
  };
  let running = round();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
      sender.close();
    },
  };
}

/** One log line and the counters per sent, retried or failed message: ids, codes, the server's answer; never content or a secret. */
function _record(ctx: WorkerContext, report: DeliverReport): void {
  const { metrics } = ctx;
  for (const o of report.outcomes) {
    if (o.status === "skipped") continue; // its claim ran out before its turn: due again, nothing happened
    const mailbox = { mailbox: o.mailboxId };
    if (o.status === "sent") metrics.outboxSent.inc(mailbox);
    else if (o.status === "retry") metrics.outboxRetried.inc({ ...mailbox, code: _code(o) });
    else metrics.outboxFailed.inc({ ...mailbox, code: _code(o) });
    // sent, but the Sent copy failed: a warning (the message went out once; the copy can be retried)
    const level =
      o.status === "sent"
        ? o.sentCopyError === undefined
          ? "info"
          : "warn"
        : o.status === "retry"
          ? "warn"
          : "error";
    ctx.logger[level]("send", {
      outboxId: o.id,
      mailboxId: o.mailboxId,
      messageId: o.messageId,
      status: o.status,
      ...(o.response === undefined ? {} : { response: o.response }),
      ...(o.sentFolder === undefined ? {} : { sentFolder: o.sentFolder }),
      ...(o.error === undefined ? {} : { errorCode: o.error.code, error: o.error.message }),
      ...(o.sentCopyError === undefined
        ? {}
        : { sentCopyErrorCode: o.sentCopyError.code, sentCopyError: o.sentCopyError.message }),
      worker: ctx.owner,
    });
  }
}

/**
 * Copies a sent message into its mailbox's Sent folder again (after the copy failed: the admin's
 * mailbox page lists those), exactly as the worker would have: the template's `sentFolder`, else the
 * folder the server marks `\\Sent`. Never sends anything.
 *
 * @param deps config, store, keyring (with the private key), as for the worker
 * @param outboxId the outbox message
 * @returns the folder it went to, or undefined when the mailbox has none (POP3, no Sent folder)
 * @throws {MailregError} NOT_FOUND (no such message, or its raw source is gone); CONFLICT when it
 *   was not sent; the appender's error (recorded on the message) when the copy fails again
 */
export async function copyToSentNow(deps: WorkerDeps, outboxId: string): Promise<string | undefined> {
  const ctx = workerContext(deps);
  const message = await getOutboxMessage(ctx.store, outboxId);
  if (message.status !== "sent")
    throw new MailregError("CONFLICT", `Outbox message ${outboxId} is ${message.status}, not sent`);
  const { appender } = _sentFolderAppender(ctx, networkPolicy(ctx.config));
  return await copyToSentAgain(storeOutbox(ctx.store), appender, {
    id: message.id,
    mailboxId: message.mailboxId,
  });
}

/** The Sent-folder appender over the mailboxes' own IMAP logins, and the token source it uses. */
function _sentFolderAppender(
  ctx: WorkerContext,
  policy: ReturnType<typeof networkPolicy>,
): { appender: SentFolderAppender; getAccessToken: AccessTokenSource | undefined } {
  // the store's port hands out its mailbox rows: every one carries its sealed profile
  const profileOf = async (m: SendingMailbox): Promise<ConnectionProfile> => {
    if (m.sealed === undefined || m.registrationId === undefined)
      throw new MailregError("INTERNAL", `Mailbox ${m.id} came without its sealed profile`);
    return await open(m.sealed, ctx.keyring, { registrationId: m.registrationId, address: m.address });
  };
  const { accessToken } = ctx;
  const getAccessToken: AccessTokenSource | undefined =
    accessToken === undefined
      ? undefined
      : async (m) => {
          const mailbox = await getMailbox(ctx.store, m.id);
          return await accessToken(await profileOf(mailbox), mailbox);
        };
  const templateOf = (m: SendingMailbox) => ctx.config.servers.find((s) => s.id === m.template);
  const appender = imapSentFolder({
    profileFor: profileOf,
    folderFor: (m) => templateOf(m)?.sentFolder,
    tlsFor: (m) => templateTls(templateOf(m)?.tls, ctx.ca),
    policy,
    ...(getAccessToken === undefined ? {} : { getAccessToken }),
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
  });
  return { appender, getAccessToken };
}

function _code(outcome: DeliveryOutcome): string {
  return outcome.error?.code ?? "INTERNAL";
}
