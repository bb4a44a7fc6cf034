// OAuth mailboxes collected by the worker end to end: the shared Dovecot's oauth2 passdb trusts the
// shared oauth2-mock-server, the worker refreshes access tokens from it (XOAUTH2), re-seals rotated
// refresh tokens, and a revoked grant (a provider of the test's own answering invalid_grant) marks
// the mailbox "must grant again" while the other mailboxes are collected.
import { rm } from "node:fs/promises";
import { jsonLogger, newId } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import {
  attachDovecot,
  generateMessages,
  type OAuthProviderHandle,
  seedMaildir,
  startOAuthProvider,
} from "@mailreg/mailservers";
import { createOAuthProviders, TokenManager } from "@mailreg/oauth";
import {
  countMessages,
  getGrantState,
  getMailbox,
  listSyncRuns,
  mailboxSyncState,
  requestSync,
  type Store,
} from "@mailreg/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  applyMailbox,
  applyOAuthMailbox,
  expectedMessages,
  freshUser,
  openTestStore,
  seedTarget,
  storedMessages,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";
import { oauthAccessTokens } from "./oauth-tokens.ts";
import { createWorker, type Worker } from "./worker.ts";

const { dovecot, oauth } = inject("mailservers");

/** A refresh token the provider at `tokenEndpoint` issues for `email` (its tokens carry that email). */
async function refreshTokenFor(tokenEndpoint: string, email: string): Promise<string> {
  const response = await fetch(tokenEndpoint, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: newId(), email }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { refresh_token: string }).refresh_token;
}

/** The refresh token the mailbox's stored sealed profile holds now. */
async function sealedRefreshToken(folder: TestFolder, store: Store, id: string): Promise<string> {
  const mailbox = await getMailbox(store, id);
  const profile = await open(mailbox.sealed, folder.keyring, {
    registrationId: mailbox.registrationId,
    address: mailbox.address,
  });
  return profile.auth.method === "oauth2" ? profile.auth.refreshToken : "";
}

/** An OAuth user of its own on the Dovecot (the address is its login), with `count` seeded messages. */
async function oauthUser(count: number, seed: number) {
  const address = `oa-${process.pid}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  attachDovecot(dovecot).addUser(address, `unused-${newId()}`);
  const messages = [...generateMessages({ count, seed })];
  await seedMaildir(seedTarget(dovecot), address, "INBOX", messages);
  return { address, messages };
}

let revoking: OAuthProviderHandle;
let folder: TestFolder;
let store: Store;
let worker: Worker;
const lines: Record<string, unknown>[] = [];
/** Added to the token cache's clock: moving it past an hour expires the cached access tokens. */
let skewMs = 0;
let refreshes = 0;

beforeAll(async () => {
  revoking = await startOAuthProvider();
  const app = {
    clientId: "mailreg",
    clientSecret: "s3cret",
    redirectUri: "http://127.0.0.1:9/oauth/callback",
  };
  folder = await testFolder(dovecot, {
    worker: { leaseSeconds: 10 },
    oauth: {
      providers: {
        mock: { kind: "oidc", issuer: oauth.issuer, ...app },
        revoking: { kind: "oidc", issuer: revoking.issuer, ...app },
      },
    },
  });
  store = await openTestStore(folder);
  const providers = createOAuthProviders(folder.config.oauth.providers);
  const counted = new Map(
    [...providers].map(([id, p]) => [
      id,
      {
        refreshAccessToken: (token: string) => {
          refreshes += 1;
          return p.refreshAccessToken(token);
        },
      },
    ]),
  );
  worker = createWorker({
    config: folder.config,
    store,
    keyring: folder.keyring,
    ca: dovecot.caPem,
    logger: jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    accessToken: oauthAccessTokens({
      config: folder.config,
      store,
      keyring: folder.keyring,
      providers: counted,
      tokenManager: new TokenManager({ now: () => Date.now() + skewMs }),
    }),
    scanMs: 500,
    tickMs: 200,
  });
  worker.start();
});

afterAll(async () => {
  await worker?.stop();
  store?.close();
  await revoking?.stop();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

/** Waits for the mailbox's run after the `known` first ones to finish, and returns it. */
async function nextRun(id: string, known: number) {
  return await until("the mailbox's next run", async () => {
    const runs = await listSyncRuns(store, id);
    const run = runs[0];
    return runs.length > known && run?.finishedAt != null ? run : undefined;
  });
}

describe("worker with OAuth mailboxes", () => {
  it("collects over XOAUTH2 with a refreshed token, re-seals the rotated refresh token, reuses the token while valid and refreshes it once expired", async () => {
    const user = await oauthUser(4, 951);
    const granted = await refreshTokenFor(oauth.tokenEndpoint, user.address);
    const mailbox = await applyOAuthMailbox(store, folder.keyring.publicKey, dovecot, {
      login: user.address,
      provider: "mock",
      refreshToken: granted,
    });
    const first = await nextRun(mailbox.id, 0);
    expect(first).toMatchObject({ status: "ok", fetched: 4 });
    expect(await storedMessages(store, mailbox.id)).toEqual(expectedMessages(user.messages));
    expect((await getGrantState(store, mailbox.id)).state).toBe("granted");
    // the provider rotated the refresh token: the stored profile holds the new one
    const rotated = await sealedRefreshToken(folder, store, mailbox.id);
    expect(rotated).not.toBe(granted);
    const afterFirst = refreshes;

    // a second run within the hour uses the cached access token: no refresh, nothing re-sealed
    const more = [...generateMessages({ count: 2, seed: 952 })];
    await seedMaildir(seedTarget(dovecot), user.address, "INBOX", more);
    await requestSync(store, mailbox.id, { actor: "test" });
    expect(await nextRun(mailbox.id, 1)).toMatchObject({ status: "ok", fetched: 2 });
    expect(refreshes).toBe(afterFirst);
    expect(await sealedRefreshToken(folder, store, mailbox.id)).toBe(rotated);

    // two hours later the cached access token has expired: the run refreshes it and goes on
    skewMs = 2 * 3600_000;
    const latest = [...generateMessages({ count: 3, seed: 953 })];
    await seedMaildir(seedTarget(dovecot), user.address, "INBOX", latest);
    await requestSync(store, mailbox.id, { actor: "test" });
    expect(await nextRun(mailbox.id, 2)).toMatchObject({ status: "ok", fetched: 3 });
    expect(refreshes).toBe(afterFirst + 1);
    expect(await sealedRefreshToken(folder, store, mailbox.id)).not.toBe(rotated);
    expect(await storedMessages(store, mailbox.id)).toEqual(
      expectedMessages([...user.messages, ...more, ...latest]),
    );
    expect(JSON.stringify(lines)).not.toContain(granted);
  });

  it("a revoked grant marks the mailbox 'must grant again' with OAUTH_INVALID_GRANT and backs off, while a password mailbox in the same worker is collected", async () => {
    const user = await oauthUser(2, 961);
    const grant = await refreshTokenFor(revoking.tokenEndpoint, user.address);
    // the provider revokes that grant: refreshing it answers invalid_grant
    revoking.server.service.on(
      "beforeResponse",
      (response: { statusCode: number; body: unknown }, req: { body: Record<string, unknown> }) => {
        if (req.body.refresh_token !== grant) return;
        response.statusCode = 400;
        response.body = { error: "invalid_grant", error_description: "Token has been revoked." };
      },
    );
    const revoked = await applyOAuthMailbox(store, folder.keyring.publicKey, dovecot, {
      login: user.address,
      provider: "revoking",
      refreshToken: grant,
    });
    const password = freshUser(dovecot);
    const messages = [...generateMessages({ count: 5, seed: 962 })];
    await seedMaildir(seedTarget(dovecot), password.user, "INBOX", messages);
    const other = await applyMailbox(store, folder.keyring.publicKey, dovecot, password);

    const failed = await nextRun(revoked.id, 0);
    expect(failed).toMatchObject({ status: "failed" });
    const state = await mailboxSyncState(store, revoked.id);
    expect(state).toMatchObject({
      status: "failed",
      consecutiveFailures: 1,
      lastError: { code: "OAUTH_INVALID_GRANT" },
      next: { reason: "backoff" },
    });
    expect(Date.parse(state.next.at!) - Date.parse(state.lastRun!.finishedAt!)).toBeGreaterThanOrEqual(
      300_000,
    );
    expect(await getGrantState(store, revoked.id)).toMatchObject({
      state: "must-grant-again",
      detail: "Token has been revoked.",
    });
    expect(await countMessages(store, revoked.id)).toBe(0);

    expect(await nextRun(other.id, 0)).toMatchObject({ status: "ok", fetched: 5 });
    expect(await storedMessages(store, other.id)).toEqual(expectedMessages(messages));
    // no retry on every scan: the revoked mailbox keeps its one failed run
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await listSyncRuns(store, revoked.id)).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(grant);
  });
});
