/**
 * vitest global setup: starts the SMTP sink, the OAuth provider, Dovecot (separator '/'), Courier and Cyrus once per
 * test run, provides their coordinates to tests (`inject("mailservers")`, a `MailServersInfo`) and
 * stops them at the end. Throws, with the install command, when Dovecot is missing: never skips.
 *
 * vitest calls a root `globalSetup` once for each project that has tests to run (and for the root
 * project); the servers are shared by all of them and stopped after the last teardown.
 *
 * @module
 */
import type { TestProject } from "vitest/node";
import { type MailServers, startMailServers } from "./servers.ts";
import type {} from "./vitest-context.ts";

interface _Shared {
  servers: Promise<MailServers>;
  users: number;
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
  if (registry[SHARED] === undefined) {
    const started = performance.now();
    const servers = startMailServers();
    registry[SHARED] = { servers, users: 0 };
    const { info } = await servers;
    console.log(
      `mailservers: Dovecot imap ${info.dovecot.imapPort}, Courier imap ${info.courier.imapPort}, Cyrus imap ${info.cyrus.imapPort}, SMTP sink ${info.smtpSink.port}, ` +
        `OAuth ${info.oauth.issuer} (started in ${Math.round(performance.now() - started)} ms)`,
    );
  }
  const shared = registry[SHARED];
  shared.users++;
  project.provide("mailservers", (await shared.servers).info);
  return async () => {
    shared.users--;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await (await shared.servers).stop();
  };
}
