// Sending requests to an OAuth server and reading its answers into typed errors.
// A network failure keeps its cause; an unexpected status or content type cancels the body;
// an OAuth error answer keeps `error`/`error_description` in details. No token ever reaches an error:
// a token response that fails to parse is reported without its cause (a JSON SyntaxError quotes the text).
import { MailregError } from "@mailreg/core";
import type { OAuthTokens } from "./provider.ts";

/** How long one request to an OAuth server may take before it counts as unreachable. */
const _TIMEOUT_MS = 30_000;

/**
 * Sends `request`, turning a network failure or timeout into OAUTH_UNREACHABLE.
 * @param fetchFn the fetch to use
 * @param request the request (its body is never reported)
 * @returns the response, whatever its status
 */
export async function _send(fetchFn: typeof fetch, request: Request): Promise<Response> {
  try {
    return await fetchFn(request, { signal: AbortSignal.timeout(_TIMEOUT_MS) });
  } catch (error) {
    const url = new URL(request.url);
    throw new MailregError("OAUTH_UNREACHABLE", `The OAuth server at ${url.origin} could not be reached`, {
      cause: error,
      details: { endpoint: `${url.origin}${url.pathname}` },
    });
  }
}

/**
 * A form POST as OAuth token and revocation endpoints expect it; redirects are not followed.
 * @param endpoint the endpoint URL
 * @param body the form parameters
 * @param authorization an `Authorization` header value, for client_secret_basic
 * @returns the request
 */
export function _formPost(endpoint: string, body: URLSearchParams, authorization?: string): Request {
  const headers = new Headers({
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
    "User-Agent": "mailreg",
  });
  if (authorization !== undefined) headers.set("Authorization", authorization);
  return new Request(endpoint, { method: "POST", body, headers, redirect: "manual" });
}

/**
 * Reads a JSON object from a 2xx response; throws the OAuth error a non-2xx JSON answer carries.
 * @param response the response
 * @returns the parsed object
 */
export async function _readJson(response: Response): Promise<Record<string, unknown>> {
  const contentType = response.headers.get("content-type") ?? "";
  if (!/^application\/(?:[\w.-]+\+)?json\b/i.test(contentType)) {
    await _cancel(response);
    throw _unexpected(response.status, { contentType, reason: "not a JSON answer" });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw _unexpected(response.status, { contentType, reason: "the body is not valid JSON" });
  }
  const object = typeof body === "object" && body !== null && !Array.isArray(body);
  if (!response.ok) {
    if (object && typeof (body as { error?: unknown }).error === "string") {
      throw _oauthError(response.status, body as Record<string, unknown>);
    }
    throw _unexpected(response.status, { reason: "an error status without an OAuth error" });
  }
  if (!object) throw _unexpected(response.status, { reason: "the body is not a JSON object" });
  return body as Record<string, unknown>;
}

/**
 * Reads a token endpoint's answer (RFC 6749 §5.1) into {@link OAuthTokens}.
 * @param response the token endpoint's response
 * @returns the tokens
 */
export async function _readTokens(response: Response): Promise<OAuthTokens> {
  const body = await _readJson(response);
  const { access_token, token_type, expires_in, refresh_token, id_token, scope } = body;
  const missing = [
    typeof access_token === "string" && access_token !== "" ? undefined : "access_token",
    typeof token_type === "string" ? undefined : "token_type",
  ].filter((name) => name !== undefined);
  if (missing.length > 0) throw _unexpected(response.status, { reason: "token fields missing", missing });
  const tokens: OAuthTokens = { tokenType: token_type as string, accessToken: access_token as string };
  // some servers send expires_in as a string
  const expiresIn = typeof expires_in === "string" ? Number(expires_in) : expires_in;
  if (typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn >= 0) {
    tokens.expiresIn = expiresIn;
  }
  if (typeof refresh_token === "string" && refresh_token !== "") tokens.refreshToken = refresh_token;
  if (typeof id_token === "string" && id_token !== "") tokens.idToken = id_token;
  if (typeof scope === "string") tokens.scopes = scope.split(" ").filter((s) => s !== "");
  return tokens;
}

/**
 * Checks a revocation endpoint's answer (RFC 7009 §2.2: 200 means revoked or already invalid).
 * @param response the revocation endpoint's response
 */
export async function _readRevocation(response: Response): Promise<void> {
  if (response.ok) {
    await _cancel(response);
    return;
  }
  await _readJson(response);
}

/** Cancels an unread body so the connection is released. */
async function _cancel(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

function _unexpected(status: number, details: Record<string, unknown>): MailregError {
  const message = `The OAuth server answered something unexpected (HTTP ${status})`;
  return new MailregError("OAUTH_UNEXPECTED_RESPONSE", message, { details: { status, ...details } });
}

/** An RFC 6749 §5.2 error answer; `invalid_grant` means the owner must grant permission again. */
function _oauthError(status: number, body: Record<string, unknown>): MailregError {
  // RFC 6749 §5.2: an error code is printable ASCII without quote and backslash
  const readable = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(body.error as string);
  const error = readable ? (body.error as string) : "unreadable";
  const details: Record<string, unknown> = { status, error };
  for (const key of ["error_description", "error_uri"]) {
    if (typeof body[key] === "string") details[key] = body[key];
  }
  if (error !== "invalid_grant") {
    return new MailregError("OAUTH_REQUEST", `The OAuth server refused the request (${error})`, { details });
  }
  const message = "The OAuth grant is no longer valid: the owner must grant permission again";
  return new MailregError("OAUTH_INVALID_GRANT", message, { details });
}
