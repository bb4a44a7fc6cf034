// App-only (client-credentials) OAuth access end to end: a Dovecot of its own whose oauth2 passdb
// accepts a token naming the tenant's whole domain (as Microsoft 365 grants an app access to every
// mailbox of a tenant), an OAuth provider of its own that issues such tokens to a registered app, and
// the real worker collecting two mailboxes of an instance with `oauthAppOnly` over XOAUTH2 with one
// shared app token, while an instance whose app secret is refused fails with OAUTH_INVALID_CLIENT
// without marking anyone "must grant again".
import { rm } from "node:fs/promises";
import { type ConnectionProfile, jsonLogger, newId } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import {
  APP_MAILBOXES_CLAIM,
  attachDovecot,
  type DovecotHandle,
  generateMessages,
  type OAuthProviderHandle,
  seedMaildir,
  startDovecot,
  startOAuthProvider,
} from "@mailreg/mailservers";
import { appOnlyProfileAuth, createOAuthProviders, TokenManager } from "@mailreg/oauth";
import {
  applyRegistration,
  getGrantState,
  insertRegistration,
  listSyncRuns,
  type Mailbox,
  mailboxSyncState,
  type Store,
} from "@mailreg/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectedMessages,
  INSTANCE,
  openTestStore,
  seedTarget,
  storedMessages,
  TEMPLATE,
  type TestFolder,
  testFolder,
  until,
} from "../test/world.ts";
import { oauthAccessTokens } from "./oauth-tokens.ts";
import { createWorker, type Worker } from "./worker.ts";

const APP = { clientId: "contoso-mail-app", clientSecret: "contoso-app-secret-7731" };
const WRONG_SECRET = "withdrawn-secret-4417";

let provider: OAuthProviderHandle;
let dovecot: DovecotHandle;
let folder: TestFolder;
let store: Store;
let worker: Worker;
const lines: Record<string, unknown>[] = [];
let clientCredentialRequests = 0;
let refreshes = 0;

beforeAll(async () => {
  provider = await startOAuthProvider({
    apps: { [APP.clientId]: { clientSecret: APP.clientSecret, domain: "contoso.test" } },
  });
  dovecot = await startDovecot({
    oauth2: {
      issuer: provider.issuer,
      kid: provider.kid,
      publicKeyPem: provider.publicKeyPem,
      username: { attribute: APP_MAILBOXES_CLAIM, format: "%Ld" },
    },
  });
  const redirectUri = "http://127.0.0.1:9/oauth/callback";
  folder = await testFolder(dovecot, {
    worker: { leaseSeconds: 10 },
    oauth: {
      providers: {
        contoso: { kind: "oidc", issuer: provider.issuer, redirectUri, ...APP },
        withdrawn: { kind: "oidc", issuer: provider.issuer, redirectUri, ...APP, clientSecret: WRONG_SECRET },
      },
    },
    instances: [
      { id: INSTANCE, label: "Contoso", oauthAppOnly: { provider: "contoso" } },
      { id: "withdrawn", label: "Consent withdrawn", oauthAppOnly: { provider: "withdrawn" } },
    ],
  });
  store = await openTestStore(folder);
  const counted = new Map(
    [...createOAuthProviders(folder.config.oauth.providers)].map(([id, p]) => [
      id,
      {
        refreshAccessToken: (token: string) => {
          refreshes += 1;
          return p.refreshAccessToken(token);
        },
        requestClientCredentials: (scopes?: readonly string[]) => {
          clientCredentialRequests += 1;
          return p.requestClientCredentials!(scopes);
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
      tokenManager: new TokenManager(),
    }),
    scanMs: 300,
    tickMs: 200,
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  store?.close();
  await Promise.all([dovecot?.stop(), provider?.stop()]);
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

/** A tenant user on the Dovecot (its password is never used) with `count` seeded messages. */
async function tenantUser(local: string, count: number, seed: number) {
  const address = `${local}@contoso.test`;
  attachDovecot(dovecot).addUser(address, `unused-password-${seed}`);
  const messages = [...generateMessages({ count, seed })];
  await seedMaildir(seedTarget(dovecot), address, "INBOX", messages);
  return { address, messages };
}

/**
 * A mailbox registered as app-only (its sealed profile holds no owner grant, only the marker), applied
 * to `instanceId` as an administrator does (`mailreg mailboxes add`).
 */
async function appOnlyMailbox(instanceId: string, address: string, provider: string): Promise<Mailbox> {
  const id = newId();
  const fields = {
    address,
    protocol: "imap",
    template: TEMPLATE,
    host: dovecot.host,
    port: dovecot.imapPort,
    security: "starttls",
    login: address,
  } as const;
  const profile: ConnectionProfile = { v: 1, ...fields, auth: appOnlyProfileAuth(provider) };
  const { publicKey } = folder.keyring;
  await insertRegistration(store, {
    id,
    receivedAt: new Date().toISOString(),
    ...fields,
    authMethod: "oauth2",
    status: "pending",
    keyId: publicKey.kid,
    sealed: await seal(profile, publicKey, { registrationId: id, address }),
  });
  return (await applyRegistration(store, { id, instanceId, actor: "test", profile })).mailbox;
}

async function firstRun(id: string) {
  return await until("the mailbox's first run", async () => {
    const run = (await listSyncRuns(store, id))[0];
    return run?.finishedAt != null ? run : undefined;
  });
}

describe("worker with app-only (client-credentials) OAuth access", () => {
  it("collects every mailbox of an app-only instance over XOAUTH2 with one app token and no owner grant", async () => {
    const ann = await tenantUser("ann", 3, 971);
    const bob = await tenantUser("bob", 2, 972);
    const annBox = await appOnlyMailbox(INSTANCE, ann.address, "contoso");
    const bobBox = await appOnlyMailbox(INSTANCE, bob.address, "contoso");
    worker.start();
    expect(await firstRun(annBox.id)).toMatchObject({ status: "ok", fetched: 3 });
    expect(await firstRun(bobBox.id)).toMatchObject({ status: "ok", fetched: 2 });
    expect(await storedMessages(store, annBox.id)).toEqual(expectedMessages(ann.messages));
    expect(await storedMessages(store, bobBox.id)).toEqual(expectedMessages(bob.messages));
    // one client-credentials request served both mailboxes; no refresh token was ever used
    expect(clientCredentialRequests).toBe(1);
    expect(refreshes).toBe(0);
    expect((await getGrantState(store, annBox.id)).state).toBe("granted");
    expect(JSON.stringify(lines)).not.toContain(APP.clientSecret);
  });

  it("an app whose secret is refused fails its instance's mailbox with OAUTH_INVALID_CLIENT, marks no owner 'must grant again', and backs off", async () => {
    const eve = await tenantUser("eve", 2, 973);
    const mailbox = await appOnlyMailbox("withdrawn", eve.address, "withdrawn");
    const run = await firstRun(mailbox.id);
    expect(run).toMatchObject({ status: "failed" });
    expect(await mailboxSyncState(store, mailbox.id)).toMatchObject({
      status: "failed",
      lastError: { code: "OAUTH_INVALID_CLIENT" },
      next: { reason: "backoff" },
    });
    expect((await getGrantState(store, mailbox.id)).state).toBe("granted");
    const text = JSON.stringify(lines);
    expect(text).not.toContain(WRONG_SECRET);
    expect(text).not.toContain(APP.clientSecret);
  });
});
