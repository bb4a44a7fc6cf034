/**
 * Sending mail on a mailbox's behalf. The SMTP precedence chain (mailbox → company → instance →
 * default) with the reason each level was passed over, nodemailer transport options that mean what a
 * user expects (465 TLS, 587 STARTTLS required, 25 opportunistic; certificate policy; PLAIN, LOGIN,
 * CRAM-MD5, XOAUTH2), pooled sending, an outbox over a queue port (`@mailreg/store` fills it for a
 * durable one, {@link memoryOutbox} from memory), and the sending half of "check mailbox". The copy
 * to the IMAP Sent folder is the `@mailreg/smtp-resolver/imap-sent-folder` subpath (it needs the
 * optional peer `imapflow`). No database is needed: resolving and sending for an address take a
 * config.
 *
 * @example
 * ```ts
 * import { explainResolution, resolve } from "@mailreg/smtp-resolver";
 * const resolution = resolve({
 *   company: { enabled: false, host: "smtp.corp.example", port: 587 },
 *   default: { host: "smtp.example.org", port: 465, auth: { method: "plain", user: "relay", password: "pw" } },
 * });
 * console.log(explainResolution(resolution));
 * ```
 *
 * @module
 */
export { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
export {
  type CheckSendingInput,
  checkSending,
  type SendingCheck,
  type SendingCheckResult,
  type SendingCheckStep,
} from "./check-sending.ts";
export {
  type AccessTokenSource,
  type CredentialSources,
  credentialsFor,
  type SmtpCredentials,
} from "./credentials.ts";
export { explainResolution, type ResolutionSummary, summarizeResolution } from "./explain.ts";
export {
  type MemoryOutbox,
  type MemoryOutboxEntry,
  mailboxDirectory,
  memoryOutbox,
} from "./memory-outbox.ts";
export {
  type Envelope,
  type MessageAttachment,
  type MessageFields,
  type MessageInput,
  type PreparedMessage,
  prepareMessage,
  toCrlf,
} from "./message.ts";
export {
  copyToSentAgain,
  type DeliverOptions,
  type DeliverReport,
  type DeliveryOutcome,
  deliverDue,
  drainOutbox,
  type Enqueued,
  type EnqueueInput,
  enqueue,
} from "./outbox.ts";
export type {
  MailboxDirectory,
  Outbox,
  OutboxClaim,
  OutboxFailure,
  OutboxInsert,
  OutboxQueue,
  OutboxSent,
  OutboxStatus,
  QueuedMessage,
  SendingMailbox,
  SentCopyRecord,
} from "./ports.ts";
export {
  type CredentialSource,
  type EffectiveSmtp,
  type MissingSource,
  type PassedOver,
  type PassOverReason,
  type ResolvedSmtp,
  type ResolveInput,
  requireResolved,
  resolve,
  resolveFromConfig,
  SMTP_LEVELS,
  type SmtpLevel,
  type SmtpMailbox,
  type SmtpResolution,
  type SmtpSettingsInput,
  type UnresolvedSmtp,
} from "./resolve.ts";
export {
  type AddressResolution,
  type AddressResolveOptions,
  type MailboxResolution,
  resolveForAddress,
} from "./resolve-for-address.ts";
export { type EffectiveSecurity, effectiveSecurity, PORT_SECURITY, type SecurityChoice } from "./security.ts";
export {
  type OutgoingMessage,
  Sender,
  type SenderOptions,
  type SendResult,
  type SendTarget,
} from "./sender.ts";
export type { SentCopy, SentFolderAppender } from "./sent-folder.ts";
export { isTemporarySmtpError } from "./smtp-error.ts";
export { type ConfigTargetsOptions, configTargets } from "./targets.ts";
export {
  DEFAULT_SMTP_TIMEOUT_MS,
  type TransportExtras,
  type TransportSettings,
  transportOptions,
} from "./transport-options.ts";
export { type SmtpWarning, type SmtpWarningCode, smtpWarnings, type WarningInput } from "./warnings.ts";
