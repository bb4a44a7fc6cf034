/**
 * A {@link SentFolderAppender} over IMAP (imapflow): logs in with the mailbox's connection profile,
 * takes the configured Sent folder or the one the server marks `\Sent` (RFC 6154), APPENDs the
 * message with its flags, and logs out.
 *
 * This is the subpath `@mailreg/smtp-resolver/imap-sent-folder`, apart from the main entry because
 * it needs `imapflow` (an optional peer dependency: install it beside this package to use it), which
 * with its own dependencies would more than double what sending costs to install.
 *
 * @module
 */
import { type ConnectionProfile, connectTarget, MailregError, type NetworkPolicy } from "@mailreg/core";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import { _dnsResolve } from "./_dns.ts";
import type { AccessTokenSource } from "./credentials.ts";
import type { SendingMailbox } from "./ports.ts";
import type { SentCopy, SentFolderAppender } from "./sent-folder.ts";

/** The certificate policy of an IMAP connection. */
export interface ImapTls {
  /** Certificates to trust besides the system's (PEM). */
  ca?: string | string[];
  /** The name the certificate must carry instead of the host. */
  servername?: string;
  /** false accepts any certificate (test servers only). Default true. */
  rejectUnauthorized?: boolean;
}

/** Options of {@link imapSentFolder}. */
export interface ImapSentFolderOptions {
  /** The mailbox's opened connection profile (e.g. `open(mailbox.sealed, keyring, …)`). */
  profileFor: (mailbox: SendingMailbox) => Promise<ConnectionProfile>;
  /** A configured Sent folder (e.g. the server template's `sentFolder`); wins over detection. */
  folderFor?: (mailbox: SendingMailbox) => string | undefined;
  /** The certificate policy per mailbox (e.g. from its server template). */
  tlsFor?: (mailbox: SendingMailbox) => ImapTls;
  /** Access tokens for OAuth 2.0 profiles. */
  getAccessToken?: AccessTokenSource;
  /** Budget for connecting and each answer, in ms. Default 15,000. */
  timeoutMs?: number;
  /**
   * The network policy (`networkPolicy(config)` of `@mailreg/core`): a server the public typed in is
   * resolved once, every address checked, and the connection made to the checked address.
   */
  policy?: NetworkPolicy;
}

/**
 * An appender that copies sent messages into each mailbox's Sent folder over IMAP. POP3 mailboxes,
 * and IMAP mailboxes with neither a configured nor a `\Sent`-marked folder, get no copy.
 *
 * @param options profile lookup, folder override, certificate policy, token source
 * @returns the appender
 * @example
 * ```ts ignore
 * import { drainOutbox } from "@mailreg/smtp-resolver";
 * import { imapSentFolder } from "@mailreg/smtp-resolver/imap-sent-folder";
 * const sentFolder = imapSentFolder({ profileFor: async (m) => profiles.get(m.id) }); // or open(m.sealed, keyring, …)
 * await drainOutbox(outbox, sender, { targetFor, sentFolder });
 * ```
 */
export function imapSentFolder(options: ImapSentFolderOptions): SentFolderAppender {
  return {
    async append(raw, flags, mailbox): Promise<SentCopy | undefined> {
      const profile = await options.profileFor(mailbox);
      if (profile.protocol !== "imap") return undefined;
      const client = new ImapFlow(await _options(profile, mailbox, options));
      client.on("error", () => {});
      try {
        await client.connect();
        const folder =
          options.folderFor?.(mailbox) ?? (await client.list()).find((f) => f.specialUse === "\\Sent")?.path;
        if (folder === undefined) return undefined;
        await client.append(folder, raw, [...flags]);
        return { folder };
      } catch (error) {
        throw _imapError(error, profile);
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
  };
}

async function _options(
  profile: ConnectionProfile,
  mailbox: SendingMailbox,
  options: ImapSentFolderOptions,
): Promise<ImapFlowOptions> {
  const timeout = options.timeoutMs ?? 15_000;
  const tls = options.tlsFor?.(mailbox) ?? {};
  let auth: ImapFlowOptions["auth"];
  if (profile.auth.method === "password") {
    auth = { user: profile.login, pass: profile.auth.password };
  } else {
    if (options.getAccessToken === undefined) {
      throw new MailregError(
        "MAIL_AUTH_FAILED",
        `${mailbox.address} signs in with OAuth 2.0 and no token source is set`,
      );
    }
    auth = { user: profile.login, accessToken: await options.getAccessToken(mailbox, false) };
  }
  const { policy } = options;
  const target = await connectTarget(
    policy,
    profile.host,
    profile.port,
    _dnsResolve(policy?.dnsServers ?? []),
  );
  return {
    host: target.address,
    ...(target.servername === undefined ? {} : { servername: target.servername }),
    port: profile.port,
    secure: profile.security === "tls",
    doSTARTTLS: profile.security === "starttls",
    tls: { ...tls, rejectUnauthorized: tls.rejectUnauthorized ?? true },
    auth,
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: Math.max(4 * timeout, 60_000),
  };
}

function _imapError(error: unknown, profile: ConnectionProfile): MailregError {
  if (error instanceof MailregError) return error;
  const e = (error ?? {}) as {
    code?: unknown;
    authenticationFailed?: unknown;
    message?: unknown;
    responseText?: unknown;
  };
  const code = typeof e.code === "string" ? e.code : "";
  const server = `${profile.host}:${profile.port}`;
  const said =
    typeof e.responseText === "string" && e.responseText !== "" ? e.responseText : String(e.message ?? error);
  const text = profile.auth.method === "password" ? said.split(profile.auth.password).join("***") : said;
  const details = { host: profile.host, port: profile.port, errorCode: code };
  if (e.authenticationFailed === true) {
    return new MailregError("MAIL_AUTH_FAILED", `${server} refused the login of ${profile.login}: ${text}`, {
      details,
    });
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME|^ERR_TLS|^ERR_SSL/.test(code)) {
    return new MailregError("MAIL_TLS_FAILED", `The certificate of ${server} is not trusted (${text})`, {
      details,
    });
  }
  if (
    /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|NoConnection)$/.test(
      code,
    )
  ) {
    return new MailregError("MAIL_CONNECTION_FAILED", `${server} could not be reached (${code})`, {
      details,
    });
  }
  return new MailregError("MAIL_PROTOCOL", `${server} refused to store the sent copy: ${text}`, { details });
}
