// How answers of a token endpoint become errors (through the Google provider, whose endpoint is
// out of reach here, so the answers are prepared).

import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { recordingFetch } from "../test/recording-fetch.ts";
import { google } from "./providers/google.ts";

const SECRET = "GOCSPX-client-secret";
const settings = {
  kind: "google",
  clientId: "app",
  clientSecret: SECRET,
  redirectUri: "https://reg.example.org/cb",
};

/** A response whose body records whether it was cancelled. */
function watched(status: number, contentType: string, text: string) {
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new TextEncoder().encode(text)),
    cancel: () => {
      state.cancelled = true;
    },
  });
  return { response: new Response(body, { status, headers: { "content-type": contentType } }), state };
}

describe("token endpoint answers", () => {
  it("an unexpected status with an HTML page is reported with its status, and the body is cancelled", async () => {
    const { response, state } = watched(502, "text/html", "<html>Bad gateway</html>");
    const error = await expectMailregError(
      google(settings, { fetch: recordingFetch(response).fetch }).refreshAccessToken("rt"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(error.details).toMatchObject({ status: 502, contentType: "text/html" });
    expect(state.cancelled).toBe(true);
  });

  it("a 200 that is not JSON (a captive portal, a proxy page) is refused and its body cancelled", async () => {
    const { response, state } = watched(200, "text/html; charset=utf-8", "<html>Sign in to the Wi-Fi</html>");
    await expectMailregError(
      google(settings, { fetch: recordingFetch(response).fetch }).refreshAccessToken("rt"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(state.cancelled).toBe(true);
  });

  it("an OAuth error keeps error and error_description in details, never the client secret", async () => {
    const answer = Response.json(
      { error: "invalid_client", error_description: "The OAuth client was not found." },
      { status: 401 },
    );
    const error = await expectMailregError(
      google(settings, { fetch: recordingFetch(answer).fetch }).refreshAccessToken("rt-1"),
      "OAUTH_REQUEST",
    );
    expect(error.message).toBe("The OAuth server refused the request (invalid_client)");
    expect(error.details).toEqual({
      status: 401,
      error: "invalid_client",
      error_description: "The OAuth client was not found.",
    });
    expectNoSecret(error, SECRET, "rt-1");
  });

  it("a broken JSON token answer is reported without its text, so no token leaks", async () => {
    const answer = new Response('{"access_token":"ya29.leaked-token","expires_in":', {
      headers: { "content-type": "application/json" },
    });
    const error = await expectMailregError(
      google(settings, { fetch: recordingFetch(answer).fetch }).refreshAccessToken("rt"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expectNoSecret(error, "ya29.leaked-token");
  });

  it("a token answer without an access token names the missing field only", async () => {
    const answer = Response.json({ token_type: "Bearer", refresh_token: "1//lonely-refresh-token" });
    const error = await expectMailregError(
      google(settings, { fetch: recordingFetch(answer).fetch }).refreshAccessToken("rt"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(error.details).toMatchObject({ missing: ["access_token"] });
    expectNoSecret(error, "1//lonely-refresh-token");
  });

  it("token requests do not follow redirects, so the secret goes nowhere else", async () => {
    const recorder = recordingFetch(
      new Response(null, { status: 302, headers: { location: "https://evil.example/" } }),
    );
    const error = await expectMailregError(
      google(settings, { fetch: recorder.fetch }).refreshAccessToken("rt"),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
    expect(recorder.requests[0]?.redirect).toBe("manual");
    expect(error.details?.status).toBe(302);
  });
});
