/**
 * A server template's certificate policy as connection options: what the registration app's login
 * check and the worker's collection both connect with.
 *
 * @module
 */
import type { TlsPolicy } from "@mailreg/core";
import type { TlsOptions } from "./connect-options.ts";

/**
 * The TLS options of a certificate policy: check the certificate (or, for test servers, not),
 * against an alternative name where the template names one, trusting extra certificates besides
 * the system's. A server typed in without a template is checked.
 *
 * @param policy the template's `tls` (verify, alternative name); absent: verify
 * @param ca extra trusted certificates (PEM), e.g. a test server's own
 * @returns the TLS options of `ConnectOptions`
 * @example
 * ```ts
 * import { templateTls } from "@mailreg/imap-sync";
 * console.log(templateTls({ verify: true, servername: "mail.corp.example" }));
 * // { rejectUnauthorized: true, servername: "mail.corp.example" }
 * ```
 */
export function templateTls(policy: TlsPolicy = { verify: true }, ca?: string | string[]): TlsOptions {
  return {
    rejectUnauthorized: policy.verify,
    ...(policy.servername === undefined ? {} : { servername: policy.servername }),
    ...(ca === undefined ? {} : { ca }),
  };
}
