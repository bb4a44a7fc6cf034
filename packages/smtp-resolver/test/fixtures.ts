// Shared by the integration tests: a certificate that carries only an alternative name, and a
// store holding one applied mailbox (optionally with a really sealed profile).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionProfile, Protocol, Security } from "@mailreg/core";
import type { Keyring } from "@mailreg/crypto-registry";
import { seal } from "@mailreg/crypto-registry";
import type { TestCertificate } from "@mailreg/mailservers";
import {
  applyRegistration,
  insertRegistration,
  type Mailbox,
  openStore,
  type Store,
  upsertInstances,
} from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";

/** The only name {@link altNameCertificate} is issued for. */
export const ALT_NAME = "smtp.mailreg.test";

/**
 * A self-signed certificate for {@link ALT_NAME} only (no IP, no localhost): a client connecting to
 * 127.0.0.1 accepts it only when told to check it against that alternative name.
 */
export function altNameCertificate(dir: string): TestCertificate {
  const certPath = join(dir, "alt-cert.pem");
  const keyPath = join(dir, "alt-key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${ALT_NAME}`,
      "-addext",
      `subjectAltName=DNS:${ALT_NAME}`,
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  return {
    certPem: readFileSync(certPath, "utf8"),
    keyPem: readFileSync(keyPath, "utf8"),
    certPath,
    keyPath,
    // the sink reads only the PEMs; TestCertificate types the name as its own "localhost"
    servername: ALT_NAME as "localhost",
  };
}

/** What {@link mailboxStore} creates. */
export interface MailboxFixture {
  store: Store;
  mailbox: Mailbox;
}

/** Options of {@link mailboxStore}. */
export interface MailboxOptions {
  /** Database URL (default in memory). */
  url?: string;
  address?: string;
  template?: string;
  /** The mailbox's server (its IMAP side). */
  server?: { protocol?: Protocol; host: string; port: number; security: Security };
  login?: string;
  password?: string;
  /** Seal the profile for real with this keyring (default a dummy sealed string). */
  keyring?: Keyring;
}

/** A migrated store with instance "test" and one applied mailbox. */
export async function mailboxStore(options: MailboxOptions = {}): Promise<MailboxFixture> {
  const store = await openStore({ url: options.url ?? "file::memory:" });
  await upsertInstances(store, [{ id: "test", label: "Test" }]);
  const mailbox = await addMailbox(store, options);
  return { store, mailbox };
}

/** Applies one more mailbox into instance "test". */
export async function addMailbox(store: Store, options: MailboxOptions = {}): Promise<Mailbox> {
  const server = options.server ?? { host: "imap.example.test", port: 993, security: "tls" as const };
  const record = makeRegistration({
    ...(options.address === undefined ? {} : { address: options.address, login: options.address }),
    ...(options.login === undefined ? {} : { login: options.login }),
    ...(options.template === undefined ? {} : { template: options.template }),
    protocol: server.protocol ?? "imap",
    host: server.host,
    port: server.port,
    security: server.security,
  });
  const profile: ConnectionProfile = makeProfile(record, {
    auth: { method: "password", password: options.password ?? "dummy-password" },
  });
  if (options.keyring !== undefined) {
    record.keyId = options.keyring.publicKey.kid;
    record.sealed = await seal(profile, options.keyring.publicKey, {
      registrationId: record.id,
      address: record.address,
    });
  }
  await insertRegistration(store, record);
  const { mailbox } = await applyRegistration(store, {
    id: record.id,
    instanceId: "test",
    actor: "test",
    profile,
  });
  return mailbox;
}
