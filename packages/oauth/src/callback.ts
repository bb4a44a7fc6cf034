/**
 * Reading the provider's redirect back to the app (the callback of the authorization-code flow).
 *
 * @module
 */
import { MailregError } from "@mailreg/core";

/**
 * Reads the authorization code from the callback URL, after checking its `state`.
 *
 * @param callbackUrl the full URL the provider redirected the owner to
 * @param expectedState the state that went into the authorization URL (kept in a cookie or session)
 * @returns the authorization code, for {@link OAuthProvider.validateAuthorizationCode}
 * @throws MailregError OAUTH_STATE_MISMATCH when `state` is missing or differs (a forged or stale
 *   answer); OAUTH_REQUEST when the provider answered an error (details.error, e.g. `access_denied`
 *   when the owner declined); OAUTH_UNEXPECTED_RESPONSE when there is no code
 * @example
 * ```ts
 * import { readAuthorizationCode } from "@mailreg/oauth";
 * const code = readAuthorizationCode("https://reg.example.org/oauth/callback?code=abc&state=s1", "s1");
 * console.log(code); // abc
 * ```
 */
export function readAuthorizationCode(callbackUrl: URL | string, expectedState: string): string {
  const params = new URL(callbackUrl).searchParams;
  if (expectedState === "" || params.get("state") !== expectedState) {
    const reason = params.has("state") ? "state differs" : "state missing";
    const message = "The sign-in answer does not belong to this sign-in: start again";
    throw new MailregError("OAUTH_STATE_MISMATCH", message, { details: { reason } });
  }
  const error = params.get("error");
  if (error !== null) {
    const details: Record<string, unknown> = { error: error.slice(0, 100) };
    const description = params.get("error_description");
    if (description !== null) details.error_description = description.slice(0, 1000);
    const message =
      error === "access_denied"
        ? "The sign-in was declined at the provider"
        : "The OAuth server refused the sign-in";
    throw new MailregError("OAUTH_REQUEST", message, { details });
  }
  const code = params.get("code");
  if (code === null || code === "") {
    throw new MailregError("OAUTH_UNEXPECTED_RESPONSE", "The sign-in answer carries no authorization code", {
      details: { reason: "code missing" },
    });
  }
  return code;
}
