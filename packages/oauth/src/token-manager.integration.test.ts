// TokenManager against a real OpenID provider (oauth2-mock-server), refresh requests counted there.

import { expectMailregError } from "@mailreg/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MockIssuer, startMockIssuer } from "../test/mock-issuer.ts";
import type { OAuthProvider } from "./provider.ts";
import { oidc } from "./providers/oidc.ts";
import { TokenManager } from "./token-manager.ts";

let mock: MockIssuer;
let provider: OAuthProvider;
let clock: number;
const now = () => clock;

beforeAll(async () => {
  mock = await startMockIssuer();
  provider = oidc({
    kind: "oidc",
    issuer: mock.issuer,
    clientId: "mailreg-test",
    clientSecret: "client-secret",
    redirectUri: "http://127.0.0.1:9/oauth/callback",
  });
});
afterAll(() => mock.stop());
beforeEach(() => {
  clock = Date.UTC(2030, 0, 1);
  mock.tokenRequests.length = 0;
});

/** The options of one mailbox whose rotated refresh tokens land in `saved`. */
function mailbox(saved: string[] = []) {
  return {
    refreshToken: "rt-initial",
    provider,
    saveRefreshToken: (token: string) => {
      saved.push(token);
    },
  };
}

describe("TokenManager", () => {
  it("keeps using an access token until it is within the margin of expiry, then refreshes", async () => {
    const manager = new TokenManager({ now, marginSeconds: 60 });
    const first = await manager.getAccessToken("mb-1", mailbox());
    expect(mock.count("refresh_token")).toBe(1);

    clock += (3600 - 61) * 1000; // the mock's tokens live 3600 s: still 61 s left
    expect(await manager.getAccessToken("mb-1", mailbox())).toBe(first);
    expect(mock.count("refresh_token")).toBe(1);

    clock += 2000; // 59 s left: inside the margin
    const second = await manager.getAccessToken("mb-1", mailbox());
    expect(second).not.toBe(first);
    expect(mock.count("refresh_token")).toBe(2);
  });

  it("makes exactly one refresh request for ten concurrent calls for one mailbox", async () => {
    const manager = new TokenManager({ now });
    const saved: string[] = [];
    const tokens = await Promise.all(
      Array.from({ length: 10 }, () => manager.getAccessToken("mb-1", mailbox(saved))),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(mock.count("refresh_token")).toBe(1);
    expect(saved).toHaveLength(1);
  });

  it("refreshes each mailbox on its own", async () => {
    const manager = new TokenManager({ now });
    const [a, b] = await Promise.all([
      manager.getAccessToken("mb-1", mailbox()),
      manager.getAccessToken("mb-2", mailbox()),
    ]);
    expect(a).not.toBe(b);
    expect(mock.count("refresh_token")).toBe(2);
  });

  it("saves a rotated refresh token before it hands out the new access token", async () => {
    const issued: string[] = [];
    mock.server.service.once("beforeResponse", (response: { body: { refresh_token?: string } }) => {
      issued.push(response.body.refresh_token!);
    });
    const events: string[] = [];
    const manager = new TokenManager({ now });
    const token = manager
      .getAccessToken("mb-1", {
        refreshToken: "rt-initial",
        provider,
        saveRefreshToken: async (rotated) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          events.push(`saved ${rotated}`);
        },
      })
      .then(() => events.push("handed out"));
    await token;
    expect(issued).toHaveLength(1);
    expect(events).toEqual([`saved ${issued[0]}`, "handed out"]);
  });

  it("hands out no access token when saving the rotated refresh token fails, and refreshes again next time", async () => {
    const manager = new TokenManager({ now });
    const failing = {
      ...mailbox(),
      saveRefreshToken: () => Promise.reject(new Error("the store is read-only")),
    };
    await expect(manager.getAccessToken("mb-1", failing)).rejects.toThrow("the store is read-only");
    await manager.getAccessToken("mb-1", mailbox());
    expect(mock.count("refresh_token")).toBe(2);
  });

  it("turns invalid_grant into OAUTH_INVALID_GRANT for every waiting caller and drops the cached token", async () => {
    const manager = new TokenManager({ now });
    await manager.getAccessToken("mb-1", mailbox());
    clock += 3590 * 1000; // inside the margin: the next call refreshes

    mock.server.service.once("beforeResponse", (response: { body: unknown; statusCode: number }) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
    });
    const calls = Array.from({ length: 3 }, () => manager.getAccessToken("mb-1", mailbox()));
    for (const call of calls) await expectMailregError(call, "OAUTH_INVALID_GRANT");
    expect(mock.count("refresh_token")).toBe(2);

    // with the clock turned back, a token still cached would be served; it must be gone
    clock -= 3590 * 1000;
    await manager.getAccessToken("mb-1", mailbox());
    expect(mock.count("refresh_token")).toBe(3);
  });

  it("does not cache an access token the server gives no lifetime", async () => {
    mock.server.service.on("beforeResponse", _withoutLifetime);
    try {
      const manager = new TokenManager({ now });
      await manager.getAccessToken("mb-1", mailbox());
      await manager.getAccessToken("mb-1", mailbox());
      expect(mock.count("refresh_token")).toBe(2);
    } finally {
      mock.server.service.off("beforeResponse", _withoutLifetime);
    }
  });

  it("refreshes again after forget()", async () => {
    const manager = new TokenManager({ now });
    await manager.getAccessToken("mb-1", mailbox());
    manager.forget("mb-1");
    await manager.getAccessToken("mb-1", mailbox());
    expect(mock.count("refresh_token")).toBe(2);
  });
});

function _withoutLifetime(response: { body: Record<string, unknown> }): void {
  delete response.body.expires_in;
}
