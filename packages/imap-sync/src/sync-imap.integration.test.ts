import {
  type DovecotHandle,
  type FaultProxy,
  generateMessages,
  seedMaildir,
  startDovecot,
  startFaultProxy,
} from "@mailreg/mailservers";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  freshUser,
  portOf,
  profileFor,
  seedTarget,
  storedByFolder,
  testWorld,
  trustTest,
} from "./_test-servers.ts";
import { createEventSink, type MailEvent } from "./event-sink.ts";
import { syncMailbox } from "./sync-mailbox.ts";

const shared = inject("mailservers").dovecot;
const ids = (list: { messageId: string }[]) => list.map((m) => m.messageId.slice(1, -1)).sort();
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;
const ALL_FOLDERS = { mode: "all", folders: [], includeSubfolders: true, exclude: [] } as const;

/**
 * The names of the commands clients sent through `proxy` (a recording fault proxy in front of plain
 * IMAP) on its connections from the `from`-th on.
 */
function _commands(proxy: FaultProxy, from = 0): string[] {
  return proxy.connections.slice(from).flatMap((c) =>
    Buffer.concat(c.recorded?.up ?? [])
      .toString("latin1")
      .split("\r\n")
      .map((line) => /^[A-Za-z0-9.]+ (?:UID )?([A-Za-z]+)/.exec(line)?.[1]?.toUpperCase())
      .filter((name) => name !== undefined),
  );
}

async function imap(info: typeof shared, user: { user: string; password: string }): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: info.host,
    port: info.imapPort,
    secure: false,
    tls: { ca: info.caPem, servername: info.servername },
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  await client.connect();
  return client;
}

let noCondstore: DovecotHandle;
beforeAll(async () => {
  noCondstore = await startDovecot({ condstore: false });
});
afterAll(async () => {
  await noCondstore?.stop();
});

describe("syncMailbox() over IMAP against Dovecot", () => {
  it("stores new mail of the next run once, with no duplicate of the first run's", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(shared, user));
    const first = [...generateMessages({ count: 30, seed: 101 })];
    await seedMaildir(seedTarget(shared), user.user, "INBOX", first);
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
      folderPolicy: INBOX_ONLY,
      chunkMessages: 7,
    };

    const run1 = await syncMailbox(mailbox, options);
    expect(run1).toMatchObject({ status: "ok", fetched: 30 });
    const second = [...generateMessages({ count: 12, seed: 102 })];
    await seedMaildir(seedTarget(shared), user.user, "INBOX", second);
    const run2 = await syncMailbox(mailbox, options);
    expect(run2).toMatchObject({ status: "ok", fetched: 12 });
    const run3 = await syncMailbox(mailbox, options);
    expect(run3).toMatchObject({ status: "ok", fetched: 0, flagsChanged: 0 });

    expect(storedByFolder(world.state, mailbox.id).get("INBOX")).toEqual(ids([...first, ...second]));
    const runs = world.state.runs(mailbox.id);
    expect(runs.map((r) => [r.status, r.fetched])).toEqual([
      ["ok", 0],
      ["ok", 12],
      ["ok", 30],
    ]);
  });

  it("hands the sinks the raw source byte for byte, with its hash, flags, date and envelope", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(shared, user));
    const [message] = [...generateMessages({ count: 1, seed: 7, attachmentShare: 1 })];
    await seedMaildir(seedTarget(shared), user.user, "INBOX", [message!]);
    const events = createEventSink();
    const seen: MailEvent[] = [];
    events.subscribe((e) => {
      seen.push(e);
    });
    await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
      folderPolicy: INBOX_ONLY,
      sinks: [events],
    });
    expect(seen).toHaveLength(1);
    const got = seen[0] as Extract<MailEvent, { type: "message.stored" }>;
    expect(new TextDecoder().decode(got.message.raw)).toBe(message!.raw);
    const expectedHash = Buffer.from(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(message!.raw)),
    ).toString("hex");
    expect(got.contentHash).toBe(expectedHash);
    expect([...got.message.flags].sort()).toEqual([...message!.flags].sort());
    expect(got.message.internalDate?.toISOString()).toBe(
      new Date(Math.floor(message!.internalDate.getTime() / 1000) * 1000).toISOString(),
    );
    expect(got.message.envelope).toMatchObject({
      subject: message!.subject,
      messageId: message!.messageId.slice(1, -1),
    });
    expect(got.message.envelope.from[0]?.address).toBe(message!.from);
    // the state keeps the same: key, id, hash and Message-ID
    expect(world.state.messages(mailbox.id)).toMatchObject([
      {
        id: got.message.id,
        key: got.key,
        contentHash: expectedHash,
        messageId: message!.messageId.slice(1, -1),
      },
    ]);
  });

  for (const condstore of [true, false]) {
    it(`sees a flag change ${condstore ? "with CONDSTORE/QRESYNC" : "on a server without CONDSTORE (flag scan)"}`, async () => {
      const server = condstore ? shared : noCondstore;
      const user = freshUser(server);
      const world = await testWorld();
      const mailbox = await world.addMailbox(profileFor(server, user));
      const messages = [...generateMessages({ count: 20, seed: 55 })].map((m) => ({ ...m, flags: [] }));
      await seedMaildir(seedTarget(server), user.user, "INBOX", messages);
      const options = {
        state: world.state,
        keyring: world.keyring,
        connect: trustTest(server),
        folderPolicy: INBOX_ONLY,
      };
      expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 20 });

      const client = await imap(server, user);
      await client.mailboxOpen("INBOX");
      await client.messageFlagsAdd("3,7", ["\\Flagged", "\\Seen"], { uid: true });
      await client.logout();

      const run = await syncMailbox(mailbox, options);
      expect(run).toMatchObject({ status: "ok", fetched: 0, flagsChanged: 2 });
      const byUid = new Map(
        world.state.messages(mailbox.id).map((m) => ["uid" in m.key ? m.key.uid : 0, m.flags.sort()]),
      );
      expect(byUid.get(3)).toEqual(["\\Flagged", "\\Seen"]);
      expect(byUid.get(7)).toEqual(["\\Flagged", "\\Seen"]);
      expect(byUid.get(4)).toEqual([]);
      expect(await syncMailbox(mailbox, options)).toMatchObject({ flagsChanged: 0 });
    });
  }

  it("selects no folder when nothing changed (LIST-STATUS), and still sees flags, expunges and new mail", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const proxy = await startFaultProxy({
      target: { host: shared.host, port: portOf(shared, "imap", "none") },
      record: true,
    });
    const selects = (from: number) => _commands(proxy, from).filter((c) => c === "SELECT" || c === "EXAMINE");
    const mailbox = await world.addMailbox({ ...profileFor(shared, user, "imap", "none"), port: proxy.port });
    const messages = [...generateMessages({ count: 10, seed: 56 })].map((m) => ({ ...m, flags: [] }));
    await seedMaildir(seedTarget(shared), user.user, "INBOX", messages);
    await seedMaildir(seedTarget(shared), user.user, "Archive", [
      ...generateMessages({ count: 3, seed: 57 }),
    ]);
    const options = { state: world.state, keyring: world.keyring, folderPolicy: ALL_FOLDERS };
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 13 });

    let from = proxy.connections.length;
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0, flagsChanged: 0 });
    expect(selects(from)).toEqual([]);
    expect(_commands(proxy, from)).toContain("LIST");

    const client = await imap(shared, user);
    await client.mailboxOpen("INBOX");
    await client.messageFlagsAdd("2", ["\\Flagged"], { uid: true });
    await client.messageDelete("5", { uid: true });
    await client.logout();
    await seedMaildir(seedTarget(shared), user.user, "INBOX", [...generateMessages({ count: 2, seed: 58 })]);

    from = proxy.connections.length;
    const changed = await syncMailbox(mailbox, options);
    expect(changed).toMatchObject({ status: "ok", fetched: 2, flagsChanged: 1, vanished: 1 });
    // only the folder that changed is selected
    expect(selects(from)).toHaveLength(1);
    from = proxy.connections.length;
    expect(await syncMailbox(mailbox, options)).toMatchObject({ fetched: 0, flagsChanged: 0, vanished: 0 });
    expect(selects(from)).toEqual([]);
    await proxy.close();
  });

  it("loses and duplicates nothing when a folder is deleted and recreated with a new UIDVALIDITY", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(shared, user));
    const target = seedTarget(shared);
    const kept = [...generateMessages({ count: 10, seed: 301 })];
    const dropped = [...generateMessages({ count: 5, seed: 302 })];
    await seedMaildir(target, user.user, "Projekte", [...kept, ...dropped]);
    const policy = { mode: "selected", folders: ["Projekte"], includeSubfolders: true, exclude: [] } as const;
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
      folderPolicy: policy,
      chunkMessages: 4,
    };
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 15 });
    const [before] = await world.state.folderStates(mailbox.id);

    await target.doveadm(["mailbox", "delete", "-u", user.user, "Projekte"]);
    const added = [...generateMessages({ count: 6, seed: 303 })];
    await seedMaildir(target, user.user, "Projekte", [...kept, ...added]);

    const run = await syncMailbox(mailbox, options);
    expect(run.folders[0]).toMatchObject({
      path: "Projekte",
      uidValidityChanged: true,
      fetched: 6,
      rekeyed: 10,
    });
    const [after] = await world.state.folderStates(mailbox.id);
    expect(after!.state?.uidValidity).not.toBe(before!.state?.uidValidity);
    expect(storedByFolder(world.state, mailbox.id).get("Projekte")).toEqual(
      ids([...kept, ...dropped, ...added]),
    );
    expect(await syncMailbox(mailbox, options)).toMatchObject({ fetched: 0, rekeyed: 0 });
    expect(world.state.messages(mailbox.id)).toHaveLength(21);
  });

  it("gives a wrong password the typed error MAIL_AUTH_FAILED in the summary and the run record", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(shared, { ...user, password: "not-the-password" }));
    const run = await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
    });
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("MAIL_AUTH_FAILED");
    expect(run.error?.message).not.toContain("not-the-password");
    const [record] = world.state.runs(mailbox.id);
    expect(record).toMatchObject({ status: "failed", errorCode: "MAIL_AUTH_FAILED" });
  });

  it("finishes the current chunk and stops when aborted, and the next run completes without duplicates", async () => {
    const user = freshUser(shared);
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(shared, user));
    const messages = [...generateMessages({ count: 60, seed: 404 })];
    await seedMaildir(seedTarget(shared), user.user, "INBOX", messages);
    const controller = new AbortController();
    const run1 = await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
      folderPolicy: INBOX_ONLY,
      chunkMessages: 10,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.fetched >= 20) controller.abort();
      },
    });
    expect(run1).toMatchObject({ status: "ok", aborted: true });
    expect(run1.fetched).toBeGreaterThanOrEqual(20);
    expect(run1.fetched).toBeLessThan(60);
    expect(world.state.messages(mailbox.id)).toHaveLength(run1.fetched);
    const run2 = await syncMailbox(mailbox, {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(shared),
      folderPolicy: INBOX_ONLY,
    });
    expect(run1.fetched + run2.fetched).toBe(60);
    expect(storedByFolder(world.state, mailbox.id).get("INBOX")).toEqual(ids(messages));
  });
});
