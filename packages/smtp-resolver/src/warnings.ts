/**
 * Warnings about SMTP settings that are known to misbehave or to expose the mail, for the CLI and
 * the admin UI to show next to the resolved server.
 *
 * @module
 */
import type { SmtpAuthMethod } from "@mailreg/core";
import { type EffectiveSecurity, PORT_SECURITY, type SecurityChoice } from "./security.ts";

/** What a warning is about. */
export type SmtpWarningCode =
  | "tls-verify-off"
  | "cleartext-auth"
  | "exchange-implicit-tls"
  | "office365-basic-auth"
  | "security-port-mismatch"
  | "servername-ignored";

/** One warning. `danger` ones (the mail or the password is exposed) the admin UI shows loudly. */
export interface SmtpWarning {
  code: SmtpWarningCode;
  severity: "warning" | "danger";
  message: string;
}

/** The parts of a resolved setting the warnings look at. */
export interface WarningInput {
  host: string;
  port: number;
  security: SecurityChoice;
  authMethod: SmtpAuthMethod;
  tls: { verify: boolean; servername?: string | undefined };
}

const _EXCHANGE = /(^|\.)(office365\.com|outlook\.com)$|(^|[.-])exchange([.-]|$)/i;
const _OFFICE365 = /(^|\.)(office365\.com|outlook\.com)$/i;
const _LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;
const _PASSWORD_METHODS: readonly SmtpAuthMethod[] = ["plain", "login", "cram-md5"];

/**
 * The warnings for a resolved SMTP setting, most serious first.
 *
 * @param input host, port, effective security, auth method and certificate policy
 * @returns the warnings (empty when nothing is known to be wrong)
 * @example
 * ```ts
 * import { effectiveSecurity, smtpWarnings } from "@mailreg/smtp-resolver";
 * const w = smtpWarnings({
 *   host: "smtp.office365.com", port: 465, security: effectiveSecurity({ port: 465 }),
 *   authMethod: "xoauth2", tls: { verify: true },
 * });
 * console.log(w.map((x) => x.code)); // ["exchange-implicit-tls"]
 * ```
 */
export function smtpWarnings(input: WarningInput): SmtpWarning[] {
  const out: SmtpWarning[] = [];
  const { host, port, security, authMethod } = input;
  const server = `${host}:${port}`;
  if (!input.tls.verify) {
    out.push({
      code: "tls-verify-off",
      severity: "danger",
      message: `CERTIFICATE CHECKING IS OFF for ${server}: anyone on the network path can pose as the server and read the mail and the password. Only for test servers.`,
    });
  }
  if (authMethod !== "none" && !_LOOPBACK.test(host)) {
    if (security.security === "none") {
      out.push({
        code: "cleartext-auth",
        severity: "danger",
        message: `Security is none but ${server} needs a login: the password crosses the network unencrypted. Use port 587 with STARTTLS or 465 with TLS.`,
      });
    } else if (security.security === "opportunistic") {
      out.push({
        code: "cleartext-auth",
        severity: "danger",
        message: `Port ${port} uses STARTTLS only when ${host} offers it: if it does not (or an attacker strips it), the password crosses the network unencrypted. Set security to starttls, or use port 587.`,
      });
    }
  }
  if (security.security === "tls" && _EXCHANGE.test(host)) {
    out.push({
      code: "exchange-implicit-tls",
      severity: "warning",
      message: `${host} looks like Microsoft Exchange / Office 365, where implicit TLS on port 465 is known to lose mail: use port 587 with STARTTLS.`,
    });
  }
  if (_OFFICE365.test(host) && _PASSWORD_METHODS.includes(authMethod)) {
    out.push({
      code: "office365-basic-auth",
      severity: "warning",
      message: `Microsoft turned off password (basic) authentication for Office 365 mailboxes on 2022-10-01: use XOAUTH2 for ${host}.`,
    });
  }
  const portDefault: EffectiveSecurity | undefined = PORT_SECURITY[port];
  if (security.source === "explicit" && portDefault !== undefined && security.security !== portDefault) {
    out.push({
      code: "security-port-mismatch",
      severity: "warning",
      message: `Port ${port} normally means ${portDefault}, but security is set to ${security.security}: the setting wins; check that ${host} really expects that.`,
    });
  }
  if (!input.tls.verify && input.tls.servername !== undefined) {
    out.push({
      code: "servername-ignored",
      severity: "warning",
      message: `The alternative certificate name ${input.tls.servername} has no effect while certificate checking is off.`,
    });
  }
  return out;
}
