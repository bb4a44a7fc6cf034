// A real OpenID provider for the tests: oauth2-mock-server on a free loopback port, recording every
// token request, with the owner's `login_hint` as the `email` of the tokens its code yields.
import type { IncomingMessage } from "node:http";
import { OAuth2Server, type TokenRequest } from "oauth2-mock-server";

type _Body = TokenRequest & Record<string, unknown>;

/** A running issuer. */
export interface MockIssuer {
  /** Its issuer URL, `http://127.0.0.1:<port>`. */
  issuer: string;
  server: OAuth2Server;
  /** Every token request so far: its form body and Authorization header. */
  tokenRequests: { body: _Body; authorization: string | undefined }[];
  /** How many token requests had this grant type. */
  count(grantType: string): number;
  /**
   * Plays the owner at the authorization URL: the mock signs in at once and redirects.
   * @returns the callback URL it redirects to
   */
  authorize(url: URL): Promise<URL>;
  stop(): Promise<void>;
}

/** Starts the issuer. */
export async function startMockIssuer(): Promise<MockIssuer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(0, "127.0.0.1");
  // the mock calls itself "localhost", which may resolve to ::1 where nothing listens
  const issuer = `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuer;

  const tokenRequests: MockIssuer["tokenRequests"] = [];
  const emailByCode = new Map<string, string>();
  server.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: IncomingMessage) => {
    const hint = new URL(req.url ?? "/", issuer).searchParams.get("login_hint");
    const code = redirect.url.searchParams.get("code");
    if (hint !== null && code !== null) emailByCode.set(code, hint);
  });
  server.service.on(
    "beforeTokenSigning",
    (token: { payload: Record<string, unknown> }, req: { body: _Body }) => {
      // a token id, so two tokens signed within one second differ, as a real server's do
      token.payload.jti = crypto.randomUUID();
      const email = req.body.code === undefined ? undefined : emailByCode.get(req.body.code);
      if (email !== undefined) Object.assign(token.payload, { email, email_verified: true });
    },
  );
  // registered first, so it sees each request before a test's own hooks change the answer
  server.service.on("beforeResponse", (_response: unknown, req: IncomingMessage & { body: _Body }) => {
    tokenRequests.push({ body: { ...req.body }, authorization: req.headers.authorization });
  });

  return {
    issuer,
    server,
    tokenRequests,
    count: (grantType) => tokenRequests.filter((r) => r.body.grant_type === grantType).length,
    async authorize(url) {
      const response = await fetch(url, { redirect: "manual" });
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (response.status !== 302 || location === null) {
        throw new Error(`The mock's /authorize answered ${response.status} without a redirect`);
      }
      return new URL(location);
    },
    stop: () => server.stop(),
  };
}
