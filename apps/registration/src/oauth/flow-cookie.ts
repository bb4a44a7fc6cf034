/**
 * What an OAuth sign-in must remember between "start" and "callback" (state, PKCE verifier, nonce),
 * kept in the owner's browser as a short-lived signed cookie: a JWT (HS256, jose) signed with a
 * key the store keeps (made once, shared by every app process on the database), so any process can
 * take the callback and nothing is stored before the owner comes back.
 *
 * @module
 */
import { initSetting, type Store } from "@mailreg/store";
import { jwtVerify, SignJWT } from "jose";

/** One sign-in in progress. Never logged: the verifier is a secret of this sign-in. */
export interface OAuthFlow {
  /** The provider's id in `oauth.providers`. */
  provider: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

/** How long an owner may take at the provider, in seconds. */
export const FLOW_MAX_AGE_SECONDS = 600;

const _KEY_SETTING = "oauth.flowKey";
const _AUDIENCE = "mailreg:oauth-flow";

/** Seals and reads sign-in cookies. */
export interface FlowCookies {
  /** The cookie value for a sign-in. */
  seal(flow: OAuthFlow): Promise<string>;
  /** The sign-in a cookie value stands for, when it is genuine, unexpired and for `provider`. */
  read(value: string | undefined, provider: string): Promise<OAuthFlow | undefined>;
}

/**
 * The cookie's name for a provider (one per provider, so sign-ins with two providers do not clash).
 *
 * @param provider the provider's id
 * @returns the cookie name
 */
export function flowCookieName(provider: string): string {
  return `mailreg_oauth_${provider}`;
}

/**
 * The sign-in cookies of an app.
 *
 * @param options the store (signing key) and the clock
 * @returns seal and read
 */
export function flowCookies(options: { store: Store; clock: () => Date }): FlowCookies {
  let key: Promise<Uint8Array> | undefined;
  const getKey = () => {
    // 32 random bytes as hex; the hex text itself is the HMAC key
    const fresh = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
      b.toString(16).padStart(2, "0"),
    );
    key ??= initSetting(options.store, _KEY_SETTING, fresh.join("")).then((stored) =>
      new TextEncoder().encode(String(stored)),
    );
    key.catch(() => {
      key = undefined;
    });
    return key;
  };
  return {
    async seal(flow) {
      const now = Math.floor(options.clock().getTime() / 1000);
      return await new SignJWT({ st: flow.state, cv: flow.codeVerifier, nn: flow.nonce })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(flow.provider)
        .setAudience(_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + FLOW_MAX_AGE_SECONDS)
        .sign(await getKey());
    },
    async read(value, provider) {
      if (value === undefined || value === "") return undefined;
      try {
        const { payload } = await jwtVerify(value, await getKey(), {
          algorithms: ["HS256"],
          audience: _AUDIENCE,
          subject: provider,
          currentDate: options.clock(),
        });
        const { st, cv, nn } = payload;
        if (typeof st !== "string" || typeof cv !== "string" || typeof nn !== "string") return undefined;
        return { provider, state: st, codeVerifier: cv, nonce: nn };
      } catch {
        return undefined;
      }
    },
  };
}
