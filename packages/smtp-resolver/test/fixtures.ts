// Shared by the integration tests: a certificate that carries only an alternative name, and a
// mailbox as the ports hand it out (optionally with a really sealed profile). No database.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ConnectionProfile, newId, type Protocol, type Security } from "@mailreg/core";
import { type Keyring, seal } from "@mailreg/crypto-registry";
import type { TestCertificate } from "@mailreg/mailservers";
import type { SendingMailbox } from "../src/ports.ts";

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

/** Options of {@link testMailbox}. */
export interface MailboxOptions {
  address?: string;
  instanceId?: string;
  template?: string;
  /** The mailbox's server (its IMAP side). */
  server?: { protocol?: Protocol; host: string; port: number; security: Security };
  login?: string;
  password?: string;
  /** Seal the profile for real with this keyring (default: no sealed profile). */
  keyring?: Keyring;
}

/** A mailbox of instance "test" (default), with its profile sealed when a keyring is given. */
export async function testMailbox(
  options: MailboxOptions = {},
): Promise<{ mailbox: SendingMailbox; profile: ConnectionProfile }> {
  const address = options.address ?? `ann-${newId().slice(-12)}@example.org`;
  const server = options.server ?? { host: "imap.example.test", port: 993, security: "tls" as const };
  const profile: ConnectionProfile = {
    v: 1,
    address,
    protocol: server.protocol ?? "imap",
    host: server.host,
    port: server.port,
    security: server.security,
    login: options.login ?? address,
    auth: { method: "password", password: options.password ?? "dummy-password" },
    ...(options.template === undefined ? {} : { template: options.template }),
  };
  const mailbox: SendingMailbox = {
    id: newId(),
    address,
    instanceId: options.instanceId ?? "test",
    template: options.template ?? null,
    login: profile.login,
    authMethod: "password",
    displayName: null,
  };
  if (options.keyring !== undefined) {
    mailbox.registrationId = newId();
    mailbox.sealed = await seal(profile, options.keyring.publicKey, {
      registrationId: mailbox.registrationId,
      address,
    });
  }
  return { mailbox, profile };
}
