/**
 * @mailreg/imap-sync: collecting mail from IMAP and POP3 mailboxes, incrementally and without loss,
 * into sinks (the store, a Maildir export, a webhook, in-process listeners).
 *
 * - {@link verifyLogin} and {@link checkMailbox}: does a profile log in, what folders does it have.
 * - {@link syncMailbox}: one run of one mailbox (folder policy, chunked commits, delete after fetch).
 * - {@link routeMessage} and {@link rerouteMailbox}: routing rules choose a message's sinks; re-run
 *   them over stored messages. {@link sinksFromConfig}: the config's sinks.
 * - {@link Source} and {@link Sink}: the connector interfaces; {@link SOURCES} and {@link SINKS}
 *   their registries.
 *
 * @module
 */
export * from "./check-mailbox.ts";
export * from "./configured-sinks.ts";
export * from "./connect-options.ts";
export * from "./content-hash.ts";
export * from "./dead-letters.ts";
export * from "./envelope.ts";
export * from "./event-sink.ts";
export * from "./folder-policy.ts";
export * from "./imap-connect.ts";
export * from "./imap-source.ts";
export * from "./mail-error.ts";
export * from "./maildir-sink.ts";
export * from "./pop3-client.ts";
export * from "./pop3-connect.ts";
export * from "./pop3-source.ts";
export * from "./reroute.ts";
export * from "./routing.ts";
export type * from "./sink.ts";
export * from "./sink-breaker.ts";
export * from "./sink-dispatch.ts";
export * from "./sinks.ts";
export type * from "./source.ts";
export * from "./sources.ts";
export * from "./store-sink.ts";
export * from "./sync-mailbox.ts";
export * from "./template-tls.ts";
export * from "./verify-login.ts";
export * from "./webhook-sink.ts";
