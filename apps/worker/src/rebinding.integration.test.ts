import { Resolver } from "node:dns/promises";
import { rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { type ConnectionProfile, networkPolicy, newId } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import { connectImap } from "@mailreg/imap-sync";
import { freePorts, type RebindingDns, startRebindingDns } from "@mailreg/mailservers";
import { Sender } from "@mailreg/smtp-resolver";
import { imapSentFolder } from "@mailreg/smtp-resolver/imap-sent-folder";
import { applyRegistration, insertRegistration, type Mailbox, type Store } from "@mailreg/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INSTANCE, openTestStore, type TestFolder, testFolder } from "../test/world.ts";
import { checkMailboxOf } from "./check.ts";
import { syncMailboxOnce } from "./leased-sync.ts";

const dovecot = inject("mailservers").dovecot;
const NAME = "rebind.mailreg.test";

let dns: RebindingDns;
let listener: Server;
let port: number;
let accepted = 0;
const sockets: Socket[] = [];
let folder: TestFolder;
let store: Store;
let mailbox: Mailbox;
let profile: ConnectionProfile;

beforeAll(async () => {
  dns = await startRebindingDns();
  [port] = (await freePorts(1)) as [number];
  listener = createServer((socket) => {
    accepted++;
    sockets.push(socket);
    socket.end("* OK ready\r\n");
  });
  await new Promise<void>((resolve) => listener.listen(port, "127.0.0.1", resolve));
  // the listener's port is an allowed one, so only the address can be what the policy refuses
  folder = await testFolder(dovecot, { registration: { allowedPorts: [port], dnsServers: [dns.server] } });
  store = await openTestStore(folder);
  const id = newId();
  const address = "victim@example.test";
  profile = {
    v: 1,
    address,
    protocol: "imap",
    host: NAME,
    port,
    security: "tls",
    login: "victim",
    auth: { method: "password", password: "the-secret-password" },
  };
  await insertRegistration(store, {
    id,
    receivedAt: new Date().toISOString(),
    address,
    protocol: "imap",
    host: NAME,
    port,
    security: "tls",
    login: "victim",
    authMethod: "password",
    status: "pending",
    keyId: folder.keyring.publicKey.kid,
    sealed: await seal(profile, folder.keyring.publicKey, { registrationId: id, address }),
  });
  ({ mailbox } = await applyRegistration(store, { id, instanceId: INSTANCE, actor: "test", profile }));
  // what the submit-time check saw: the public answer (the first one for the name)
  const resolver = new Resolver();
  resolver.setServers([dns.server]);
  expect(await resolver.resolve4(NAME)).toEqual(["93.184.215.14"]);
});

afterAll(async () => {
  store?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => listener?.close(() => resolve()));
  await dns?.close();
  if (folder !== undefined) await rm(folder.dir, { recursive: true, force: true });
});

describe("DNS rebinding after submit: a name that now answers 127.0.0.1", () => {
  it("is refused by the worker's sync, and nothing connects to the loopback listener", async () => {
    const result = await syncMailboxOnce(
      { config: folder.config, store, keyring: folder.keyring },
      mailbox.id,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.summary.error?.code).toBe("MAIL_HOST_NOT_ALLOWED");
    expect(accepted).toBe(0);
  });

  it("is refused by the mailbox check at its first step", async () => {
    const result = await checkMailboxOf({ config: folder.config, keyring: folder.keyring }, mailbox);
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ step: "connect", ok: false, reason: "unreachable" });
    expect(result.steps[0]?.message).toMatch(/network policy does not allow/);
    expect(result.steps[0]?.message).not.toContain("the-secret-password");
    expect(accepted).toBe(0);
  });

  it("is refused for sending and for the Sent-folder copy", async () => {
    const policy = networkPolicy(folder.config);
    const sender = new Sender({ policy });
    try {
      await expect(
        sender.send(
          {
            settings: { host: NAME, port, tls: { verify: true } },
            credentials: { method: "plain", user: "victim", password: "the-secret-password" },
          },
          {
            raw: "From: victim@example.test\r\nTo: a@example.org\r\nSubject: x\r\n\r\nx\r\n",
            envelope: { from: "victim@example.test", to: ["a@example.org"] },
          },
        ),
      ).rejects.toMatchObject({ code: "MAIL_HOST_NOT_ALLOWED" });
    } finally {
      sender.close();
    }
    const sent = imapSentFolder({ profileFor: async () => profile, policy });
    await expect(sent.append(new TextEncoder().encode("x"), ["\\Seen"], mailbox)).rejects.toMatchObject({
      code: "MAIL_HOST_NOT_ALLOWED",
    });
    expect(accepted).toBe(0);
    // every connection asked the DNS server once more, and got the loopback answer each time
    expect(dns.queries.filter((q) => q === NAME).length).toBeGreaterThanOrEqual(5);
  });

  it("would have reached the listener without the policy (the listener is real)", async () => {
    await expect(
      connectImap({ ...profile, host: "127.0.0.1", security: "none" }, { timeoutMs: 2_000 }),
    ).rejects.toBeDefined();
    expect(accepted).toBe(1);
  });
});
