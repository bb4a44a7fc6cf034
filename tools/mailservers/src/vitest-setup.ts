/**
 * vitest global setup: starts the SMTP sink, the OAuth provider and Dovecot once per test run,
 * provides their coordinates to tests (`inject("mailservers")`, see `MailServersInfo`) and stops them
 * at the end. Throws, with the install command, when Dovecot is missing: never skips silently.
 *
 * vitest calls a root `globalSetup` once per project; the servers are shared by all projects of the
 * process and stopped when the last project tears down.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createTestCertificate } from "./cert.ts";
import { type DovecotHandle, startDovecot } from "./dovecot.ts";
import { type OAuthProviderHandle, startOAuthProvider } from "./oauth-provider.ts";
import { rejectByLocalPart, type SmtpSinkHandle, startSmtpSink } from "./smtp-sink.ts";
import type { MailServersInfo } from "./vitest-context.ts";

interface _Shared {
  info: Promise<MailServersInfo>;
  users: number;
  stop(): Promise<void>;
}

const SHARED = Symbol.for("@mailreg/mailservers/vitest-setup");

/**
 * Starts (or joins) the shared servers and provides them to `project`.
 *
 * @param project the vitest project
 * @returns the teardown
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = globalThis as { [SHARED]?: _Shared };
  registry[SHARED] ??= _start();
  const shared = registry[SHARED];
  shared.users++;
  project.provide("mailservers", await shared.info);
  return async () => {
    shared.users--;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await shared.stop();
  };
}

function _start(): _Shared {
  let dir: string | undefined;
  let sink: SmtpSinkHandle | undefined;
  let oauth: OAuthProviderHandle | undefined;
  let dovecot: DovecotHandle | undefined;
  const stop = async () => {
    await Promise.allSettled([dovecot?.stop(), sink?.stop(), oauth?.stop()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  const info = (async (): Promise<MailServersInfo> => {
    try {
      const started = performance.now();
      dir = await mkdtemp(join(tmpdir(), "mailreg-servers-"));
      const certificate = await createTestCertificate(dir);
      const sinkUsers = [{ user: "sink-user", password: "sink-password" }];
      sink = await startSmtpSink({
        certificate,
        users: sinkUsers,
        authOptional: true,
        failWith: rejectByLocalPart,
        spoolDir: join(dir, "spool"),
      });
      oauth = await startOAuthProvider();
      dovecot = await startDovecot({
        certificate,
        users: [
          { user: "alice", password: "alice-password" },
          { user: "bob@example.test", password: "bob-password" },
        ],
        submissionRelay: { host: sink.host, port: sink.port },
        oauth2: { issuer: oauth.issuer, kid: oauth.kid, publicKeyPem: oauth.publicKeyPem },
      });
      const { addUser: _a, maildirOf: _m, doveadm: _d, logTail: _l, stop: _s, ...dovecotInfo } = dovecot;
      console.log(
        `mailservers: Dovecot imap ${dovecot.imapPort}, SMTP sink ${sink.port}, OAuth ${oauth.issuer} ` +
          `(started in ${Math.round(performance.now() - started)} ms)`,
      );
      return {
        dovecot: dovecotInfo,
        smtpSink: { host: sink.host, port: sink.port, spoolDir: join(dir, "spool"), users: sinkUsers },
        oauth: {
          issuer: oauth.issuer,
          tokenEndpoint: oauth.tokenEndpoint,
          authorizationEndpoint: oauth.authorizationEndpoint,
          jwksUri: oauth.jwksUri,
          kid: oauth.kid,
        },
      };
    } catch (error) {
      await stop();
      throw error;
    }
  })();
  return { info, users: 0, stop };
}
