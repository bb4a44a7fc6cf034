/**
 * @mailreg/smtp-resolver: sending mail on a mailbox's behalf. The SMTP precedence chain (mailbox →
 * company → instance → default) with the reason each level was passed over, nodemailer transport
 * options that mean what a user expects (465 TLS, 587 STARTTLS required, 25 opportunistic;
 * certificate policy; PLAIN, LOGIN, CRAM-MD5, XOAUTH2), pooled sending, a durable outbox in the store,
 * the copy to the IMAP Sent folder, and the sending half of "check mailbox".
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
export * from "./backoff.ts";
export * from "./check-sending.ts";
export * from "./credentials.ts";
export * from "./explain.ts";
export * from "./imap-sent-folder.ts";
export * from "./message.ts";
export * from "./outbox.ts";
export * from "./resolve.ts";
export * from "./resolve-for-address.ts";
export * from "./security.ts";
export * from "./sender.ts";
export * from "./sent-folder.ts";
export * from "./smtp-error.ts";
export * from "./targets.ts";
export * from "./transport-options.ts";
export * from "./warnings.ts";
