/**
 * Admin sessions as signed, stateless cookies: a JWT (HS256, jose) carrying the user, a random
 * session id and the time of issue, signed with a key from the keys folder (`keys.sessionKeyFile`,
 * mode 0600, which `prepareApp` loads or creates; every app process that shares the database must
 * share that file). The key is never in the database: a database reader cannot sign a session. An
 * older installation's key row in the settings table is emptied at start. Signing out revokes
 * every session of that user issued
 * before, through a per-user "not before" setting. Each session's CSRF token is an HMAC of its id.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { getSetting, type Store, setSetting } from "@mailreg/store";
import { jwtVerify, SignJWT } from "jose";
import type { AdminSession } from "../http/env.ts";

/** Where older versions kept the key, readable by anyone who could read the database; `prepareApp` empties it. */
export const LEGACY_SESSION_KEY_SETTING = "admin.sessionKey";
const _NOT_BEFORE = "admin.sessionsNotBefore.";
const _enc = new TextEncoder();

function _b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Issues, reads and revokes admin sessions. */
export interface Sessions {
  /** A new session for `user`: the cookie value and the session. */
  issue(user: string): Promise<{ token: string; session: AdminSession }>;
  /** The session a cookie value stands for, or undefined when it is not valid (any more). */
  read(token: string): Promise<AdminSession | undefined>;
  /** Ends every session of `user` issued until now. */
  revokeAll(user: string): Promise<void>;
}

/**
 * The session manager of an app.
 *
 * @param options the store (revocations), the config (users, max age), the clock, and the signing
 *   key (32 random bytes from the keys folder; without it a random key of this process alone, so
 *   sessions end with the process and are not shared)
 * @returns the manager
 */
export function createSessions(options: {
  store: Store;
  config: Config;
  clock: () => Date;
  key?: Uint8Array | undefined;
}): Sessions {
  const { store, config, clock } = options;
  const key = Uint8Array.from(options.key ?? crypto.getRandomValues(new Uint8Array(32)));
  let keys: Promise<{ jwt: Uint8Array; hmac: CryptoKey }> | undefined;
  const getKeys = () => {
    keys ??= (async () => {
      const jwt = key;
      const hmac = await crypto.subtle.importKey("raw", jwt, { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]);
      return { jwt, hmac };
    })();
    keys.catch(() => {
      keys = undefined;
    });
    return keys;
  };
  const csrfOf = async (sid: string) =>
    _b64url(
      new Uint8Array(await crypto.subtle.sign("HMAC", (await getKeys()).hmac, _enc.encode(`csrf:${sid}`))),
    );
  return {
    async issue(user) {
      const now = clock();
      const sid = _b64url(crypto.getRandomValues(new Uint8Array(16)));
      const token = await new SignJWT({ sid, ims: now.getTime() })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(Math.floor(now.getTime() / 1000) + config.admin.session.maxAgeSeconds)
        .sign((await getKeys()).jwt);
      return { token, session: { user, sid, csrf: await csrfOf(sid) } };
    },
    async read(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, (await getKeys()).jwt, {
          algorithms: ["HS256"],
          currentDate: clock(),
        }));
      } catch {
        return undefined;
      }
      const { sub: user, sid, ims } = payload;
      if (typeof user !== "string" || typeof sid !== "string" || typeof ims !== "number") return undefined;
      if (!config.admin.users.some((u) => u.name === user)) return undefined;
      const notBefore = await getSetting(store, `${_NOT_BEFORE}${user}`);
      if (typeof notBefore === "number" && ims <= notBefore) return undefined;
      return { user, sid, csrf: await csrfOf(sid) };
    },
    async revokeAll(user) {
      const now = clock();
      await setSetting(store, `${_NOT_BEFORE}${user}`, now.getTime(), now);
    },
  };
}
