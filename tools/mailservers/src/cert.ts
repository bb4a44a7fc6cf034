/**
 * A self-signed TLS certificate for "localhost" and 127.0.0.1 that test clients trust explicitly.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MailregError } from "@mailreg/core";
import { requireProgram, runCommand } from "./command.ts";

/** A certificate with its key, as PEM text and as files. */
export interface TestCertificate {
  /** The certificate; it is its own CA, so clients pass it as `ca`. */
  certPem: string;
  /** The private key (PKCS#8 PEM). Test-only, but still never log it. */
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** The name to verify (`servername`): the certificate holds DNS:localhost and IP:127.0.0.1. */
  servername: "localhost";
}

/**
 * Generates a self-signed certificate (EC P-256, valid 30 days) with `openssl req -x509` into `dir`.
 *
 * @param dir an existing directory; writes `cert.pem` and `key.pem` (mode 0600) there
 * @returns the certificate
 * @example
 * ```ts
 * const cert = await createTestCertificate("/tmp/x");
 * tls.connect({ host: "127.0.0.1", port, ca: cert.certPem, servername: cert.servername });
 * ```
 */
export async function createTestCertificate(dir: string): Promise<TestCertificate> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const result = await runCommand(requireProgram("openssl"), [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "30",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  if (result.code !== 0) {
    throw new MailregError(
      "INTERNAL",
      `openssl could not create a test certificate: ${result.stderr.trim()}`,
    );
  }
  const [certPem, keyPem] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
  return { certPem, keyPem, certPath, keyPath, servername: "localhost" };
}
