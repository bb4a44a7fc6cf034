/**
 * SASL initial responses that log in to IMAP, POP3 and SMTP with an OAuth access token.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { _base64 } from "./_base64.ts";

/**
 * The XOAUTH2 initial response (Google, Microsoft): base64 of `user=…^Aauth=Bearer …^A^A`.
 *
 * @param user the login (usually the SMTP address)
 * @param accessToken the access token
 * @returns the base64 string for `AUTHENTICATE XOAUTH2` / `AUTH XOAUTH2`
 * @example
 * ```ts
 * import { xoauth2String } from "@mailreg/oauth";
 * // Google's documented example
 * const sasl = xoauth2String("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
 * console.log(sasl.startsWith("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRo")); // true
 * ```
 */
export function xoauth2String(user: string, accessToken: string): string {
  _check(user, accessToken);
  return _base64(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`);
}

/**
 * The OAUTHBEARER initial response (RFC 7628): base64 of
 * `n,a=user,^Ahost=…^Aport=…^Aauth=Bearer …^A^A`.
 *
 * @param user the login (`,` and `=` are escaped as the GS2 header requires)
 * @param accessToken the access token
 * @param server the server's host name and port, where known
 * @returns the base64 string for `AUTHENTICATE OAUTHBEARER` / `AUTH OAUTHBEARER`
 */
export function oauthbearerString(
  user: string,
  accessToken: string,
  server: { host?: string; port?: number } = {},
): string {
  _check(user, accessToken);
  const saslname = user.replaceAll("=", "=3D").replaceAll(",", "=2C");
  const host = server.host === undefined ? "" : `host=${server.host}\x01`;
  const port = server.port === undefined ? "" : `port=${server.port}\x01`;
  return _base64(`n,a=${saslname},\x01${host}${port}auth=Bearer ${accessToken}\x01\x01`);
}

/** Control characters would end a field early; the token itself never goes into the error. */
function _check(user: string, accessToken: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
  const control = /[\x00-\x1f\x7f]/;
  if (user === "" || control.test(user)) {
    throw new MailregError("VALIDATION", "The login for OAuth must be non-empty without control characters", {
      details: { field: "user" },
    });
  }
  if (accessToken === "" || control.test(accessToken)) {
    throw new MailregError("VALIDATION", "The access token is empty or holds control characters", {
      details: { field: "accessToken" },
    });
  }
}
