/**
 * The real login check and mailbox check, from `@mailreg/imap-sync`, in the shape the app takes
 * (the config's certificate policy turned into connection options).
 *
 * @module
 */
import { checkMailbox, templateTls, verifyLogin } from "@mailreg/imap-sync";
import type { CheckMailbox, VerifyLogin } from "./deps.ts";

/** Options of {@link imapSyncChecks}. */
export interface MailChecksOptions {
  /** Certificates to trust besides the system's (PEM): a test server's own, say. */
  ca?: string | string[];
}

/**
 * The login check and mailbox check of `@mailreg/imap-sync`.
 *
 * @param options extra trusted certificates
 * @returns `verifyLogin` (verify-on-submit) and `checkMailbox` (the admin's "check")
 */
export function imapSyncChecks(options: MailChecksOptions = {}): {
  verifyLogin: VerifyLogin;
  checkMailbox: CheckMailbox;
} {
  return {
    verifyLogin: (profile, { timeoutMs, tls, accessToken, policy }) =>
      verifyLogin(profile, {
        timeoutMs,
        tls: templateTls(tls, options.ca),
        ..._token(accessToken),
        ...(policy === undefined ? {} : { policy }),
      }),
    checkMailbox: (profile, { timeoutMs, tls, accessToken, policy }) =>
      checkMailbox(profile, {
        timeoutMs,
        tls: templateTls(tls, options.ca),
        ..._token(accessToken),
        ...(policy === undefined ? {} : { policy }),
      }),
  };
}

function _token(accessToken: string | undefined): { accessToken?: string } {
  return accessToken === undefined ? {} : { accessToken };
}
