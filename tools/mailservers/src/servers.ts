/**
 * The whole set, started together: an SMTP sink, an OAuth provider, a Dovecot whose submission
 * relays to the sink, a Courier-IMAP and a Cyrus IMAP (the other server products); Dovecot and the sink accept the provider's tokens (XOAUTH2); one test certificate.
 * The global test setup and the CLI both start it.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCertificate, type TestCertificate } from "./cert.ts";
import { type CourierHandle, type CourierInfo, startCourier } from "./courier.ts";
import { type CyrusHandle, type CyrusInfo, startCyrus } from "./cyrus.ts";
import { type DovecotHandle, type DovecotInfo, startDovecot } from "./dovecot.ts";
import type { Separator } from "./dovecot-config.ts";
import { type OAuthProviderHandle, startOAuthProvider } from "./oauth-provider.ts";
import type { MailUser } from "./passwd-file.ts";
import { rejectByLocalPart, type SmtpSinkHandle, startSmtpSink } from "./smtp-sink.ts";
import { jwksTokenVerifier } from "./xoauth2-verifier.ts";

/** The servers' coordinates: plain data, what tests get from `inject("mailservers")`. */
export interface MailServersInfo {
  /** Dovecot: submission relays to `smtpSink`, OAuth logins are checked against `oauth`. */
  dovecot: DovecotInfo;
  /**
   * The SMTP sink: STARTTLS, AUTH optional (its users, or XOAUTH2 with a token of `oauth` whose
   * `email` is the user), `RCPT TO:<reject-NNN@…>` answered with NNN.
   */
  smtpSink: {
    host: "127.0.0.1";
    port: number;
    /** Each accepted message as a JSON file: read it with `readSpool` / `waitForSpool`. */
    spoolDir: string;
    /** Users that may log in to the sink (PLAIN, LOGIN, CRAM-MD5). */
    users: MailUser[];
  };
  /** The OAuth provider; pass `email` to its token endpoint for a token Dovecot accepts. */
  oauth: {
    issuer: string;
    tokenEndpoint: string;
    authorizationEndpoint: string;
    jwksUri: string;
    kid: string;
  };
  /**
   * Courier-IMAP, the second server product: SELECT without UIDNEXT, no CONDSTORE/QRESYNC/LIST-STATUS/
   * SPECIAL-USE, '.' delimiter, `#shared.` folders by ACL. Plain IMAP; the same users as Dovecot.
   */
  courier: CourierInfo;
  /**
   * Cyrus IMAP 3.6, the third: refuses APPEND of bare-LF messages; `Other Users/` and `Shared
   * Folders/` namespaces; '/' delimiter with folders beside INBOX. Plain IMAP; the users are
   * Dovecot's without a domain part (alice), each with INBOX and Sent.
   */
  cyrus: CyrusInfo;
  /** The test certificate (also `dovecot.caPem`), as a file for command-line clients. */
  caPath: string;
}

/** Options of {@link startMailServers}. */
export interface MailServersOptions {
  /** Dovecot's hierarchy separator. Default '/'. */
  separator?: Separator;
  /** Advertise CONDSTORE and QRESYNC. Default true. */
  condstore?: boolean;
  /** Dovecot's users. Default alice and bob@example.test. */
  users?: readonly MailUser[];
}

/** The running set. */
export interface MailServers {
  info: MailServersInfo;
  dovecot: DovecotHandle;
  smtpSink: SmtpSinkHandle;
  oauth: OAuthProviderHandle;
  courier: CourierHandle;
  cyrus: CyrusHandle;
  /** Stops all five and removes their files. */
  stop(): Promise<void>;
}

/** The users the set starts with (test credentials). */
export const DEFAULT_USERS: readonly MailUser[] = [
  { user: "alice", password: "alice-password" },
  { user: "bob@example.test", password: "bob-password" },
];

/**
 * Starts the SMTP sink, the OAuth provider, Dovecot, Courier and Cyrus; stops what started when a later one fails.
 *
 * @param options separator, CONDSTORE advertising, users
 * @returns the running set
 * @example
 * ```ts
 * const servers = await startMailServers();
 * console.log(servers.info.dovecot.imapPort);
 * await servers.stop();
 * ```
 */
export async function startMailServers(options: MailServersOptions = {}): Promise<MailServers> {
  let dir: string | undefined;
  let smtpSink: SmtpSinkHandle | undefined;
  let oauth: OAuthProviderHandle | undefined;
  let dovecot: DovecotHandle | undefined;
  let courier: CourierHandle | undefined;
  let cyrus: CyrusHandle | undefined;
  const stop = async () => {
    await Promise.allSettled([
      dovecot?.stop(),
      smtpSink?.stop(),
      oauth?.stop(),
      courier?.stop(),
      cyrus?.stop(),
    ]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    dir = await mkdtemp(join(tmpdir(), "mailreg-servers-"));
    const certificate: TestCertificate = await createTestCertificate(dir);
    const sinkUsers = [{ user: "sink-user", password: "sink-password" }];
    const spoolDir = join(dir, "spool");
    oauth = await startOAuthProvider();
    smtpSink = await startSmtpSink({
      certificate,
      users: sinkUsers,
      verifyAccessToken: jwksTokenVerifier({ issuer: oauth.issuer, jwksUri: oauth.jwksUri }),
      authOptional: true,
      failWith: rejectByLocalPart,
      spoolDir,
    });
    const courierStarted = startCourier({ users: options.users ?? DEFAULT_USERS });
    courierStarted.then(
      (handle) => {
        courier = handle;
      },
      () => {},
    );
    const cyrusStarted = startCyrus({
      users: (options.users ?? DEFAULT_USERS).filter((u) => !u.user.includes("@")),
    });
    cyrusStarted.then(
      (handle) => {
        cyrus = handle;
      },
      () => {},
    );
    dovecot = await startDovecot({
      certificate,
      users: options.users ?? DEFAULT_USERS,
      ...(options.separator === undefined ? {} : { separator: options.separator }),
      ...(options.condstore === undefined ? {} : { condstore: options.condstore }),
      submissionRelay: { host: smtpSink.host, port: smtpSink.port },
      oauth2: { issuer: oauth.issuer, kid: oauth.kid, publicKeyPem: oauth.publicKeyPem },
    });
    courier = await courierStarted;
    cyrus = await cyrusStarted;
    const { addUser: _a, maildirOf: _m, doveadm: _d, logTail: _l, stop: _s, ...dovecotInfo } = dovecot;
    const { addUser: _ca, maildirOf: _cm, logTail: _cl, stop: _cs, ...courierInfo } = courier;
    const { addUser: _ya, stop: _ys, ...cyrusInfo } = cyrus;
    return {
      info: {
        dovecot: dovecotInfo,
        smtpSink: { host: smtpSink.host, port: smtpSink.port, spoolDir, users: sinkUsers },
        oauth: {
          issuer: oauth.issuer,
          tokenEndpoint: oauth.tokenEndpoint,
          authorizationEndpoint: oauth.authorizationEndpoint,
          jwksUri: oauth.jwksUri,
          kid: oauth.kid,
        },
        courier: courierInfo,
        cyrus: cyrusInfo,
        caPath: certificate.certPath,
      },
      dovecot,
      courier,
      cyrus,
      smtpSink,
      oauth,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
