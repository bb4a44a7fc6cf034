/**
 * Real mail servers for tests and local trying-out, on free loopback ports: Dovecot (IMAP, POP3,
 * submission; optional OAuth logins), an SMTP sink (optional XOAUTH2) and an OAuth 2.0 provider, plus fast,
 * deterministic message seeding. Node only (test tooling); Dovecot needs root.
 *
 * @example
 * ```ts
 * import { generateMessages, seedMaildir, startDovecot } from "@mailreg/mailservers";
 * const dovecot = await startDovecot({ users: [{ user: "alice", password: "pw" }] });
 * await seedMaildir(dovecot, "alice", "INBOX", generateMessages({ count: 1_000 }));
 * await dovecot.stop();
 * ```
 *
 * @module
 */
export { createTestCertificate, type TestCertificate } from "./cert.ts";
export { INSTALL_HINT } from "./command.ts";
export {
  attachCourier,
  COURIER_ROOT,
  type CourierHandle,
  type CourierInfo,
  type CourierOptions,
  type CourierTools,
  startCourier,
} from "./courier.ts";
export {
  attachCyrus,
  CYRUS_ROOT,
  type CyrusHandle,
  type CyrusInfo,
  type CyrusOptions,
  type CyrusTools,
  startCyrus,
} from "./cyrus.ts";
export {
  attachDovecot,
  type DovecotHandle,
  type DovecotInfo,
  type DovecotOAuth2,
  type DovecotOptions,
  type DovecotTools,
  MAIL_UID,
  startDovecot,
} from "./dovecot.ts";
export { type Separator, SPECIAL_USE_FOLDERS, type SubmissionRelay } from "./dovecot-config.ts";
export {
  type Fault,
  type FaultDirection,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxiedConnection,
  startFaultProxy,
} from "./fault-proxy.ts";
export {
  HOSTILE_MESSAGES,
  type HostileBehavior,
  type HostileImap,
  startHostileImap,
} from "./hostile-imap.ts";
export { type GeneratedMessage, type GenerateOptions, generateMessages } from "./messages.ts";
export {
  APP_MAILBOXES_CLAIM,
  type ClientCredentialsApp,
  type OAuthProviderHandle,
  type OAuthProviderOptions,
  startOAuthProvider,
} from "./oauth-provider.ts";
export { addPasswdUser, type MailUser, passwdLine } from "./passwd-file.ts";
export { freePorts } from "./ports.ts";
export { type RebindingDns, startRebindingDns } from "./rebinding-dns.ts";
export {
  appendViaImap,
  createFolders,
  type ImapLogin,
  type SeedResult,
  type SeedTarget,
  seedMaildir,
} from "./seed.ts";
export {
  DEFAULT_USERS,
  type MailServers,
  type MailServersInfo,
  type MailServersOptions,
  startMailServers,
} from "./servers.ts";
export { readSpool, waitForSpool } from "./sink-spool.ts";
export {
  rejectByLocalPart,
  type SinkEvent,
  type SinkMessage,
  type SinkReply,
  type SinkRule,
  type SmtpSinkHandle,
  type SmtpSinkOptions,
  startSmtpSink,
} from "./smtp-sink.ts";
// the `inject("mailservers")` typing for tests
export type {} from "./vitest-context.ts";
export {
  type AccessTokenVerifier,
  type JwksTokenVerifierOptions,
  jwksTokenVerifier,
} from "./xoauth2-verifier.ts";
