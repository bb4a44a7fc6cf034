// Deno smoke tests: parsing, folder policy, hashing, the store sink, the store's writer thread and
// the IMAP/POP3 clients' error paths run under Deno as they are.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { newId } from "@mailreg/core";
import { countMessages, openChunkWriter, openStore, type Store } from "@mailreg/store";
import { insertTestMailbox, openMemoryStore } from "@mailreg/store/testing";
import { contentHash, createStoreSink, parseEnvelope, selectFolders, verifyLogin } from "./mod.ts";

const raw = new TextEncoder().encode(
  "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\r\nMessage-ID: <a@b>\r\n\r\nhi",
);

Deno.test("parseEnvelope(), selectFolders() and contentHash() under Deno", () => {
  assert.deepEqual(parseEnvelope(raw).from, [{ name: "Jürgen", address: "j@example.org" }]);
  const f = (path: string) => ({ path, delimiter: ".", subscribed: true, flags: [], selectable: true });
  const chosen = selectFolders([f("INBOX"), f("A"), f("A.b")], {
    mode: "selected",
    folders: ["A"],
    includeSubfolders: true,
    exclude: [],
  });
  assert.deepEqual(
    chosen.map((x) => x.path),
    ["A", "A.b"],
  );
  assert.equal(
    contentHash(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

/** A mailbox row in `store`, for messages to belong to. */
function addMailbox(store: Store): Promise<string> {
  return insertTestMailbox(store);
}

Deno.test("the store's writer thread commits chunks under Deno", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ url: `file:${dir}/store.db` });
  try {
    const mailboxId = await addMailbox(store);
    const writer = openChunkWriter(store);
    const row = (uid: number) => ({
      id: newId(),
      mailboxId,
      folder: "INBOX",
      uidvalidity: 1,
      uid,
      contentHash: contentHash(raw),
      size: raw.length,
      flags: [],
      raw,
      storedAt: new Date().toISOString(),
    });
    await Promise.all([writer.commit({ inserts: [row(1)] }), writer.commit({ inserts: [row(2)] })]);
    assert.equal(await writer.threaded, true);
    await writer.close();
    assert.equal(await countMessages(store, mailboxId), 2);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the store sink stores a message once under Deno", async () => {
  const store = await openMemoryStore();
  try {
    const mailboxId = await addMailbox(store);
    const sink = createStoreSink(store);
    const key = { mailboxId, folder: "INBOX", uidValidity: 1, uid: 1 };
    const message = {
      id: newId(),
      raw,
      size: raw.length,
      flags: [],
      envelope: parseEnvelope(raw),
      delimiter: "/",
    };
    await sink.store(message, key, contentHash(raw));
    await sink.store({ ...message, id: newId() }, key, contentHash(raw));
    assert.deepEqual(await sink.isStored([key, { ...key, uid: 2 }]), [true, false]);
  } finally {
    store.close();
  }
});

Deno.test("verifyLogin() under Deno says unreachable for a silent server, over IMAP and POP3", async () => {
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
  const port = (silent.address() as { port: number }).port;
  try {
    for (const protocol of ["imap", "pop3"] as const) {
      const result = await verifyLogin(
        {
          v: 1,
          address: "a@example.org",
          protocol,
          host: "127.0.0.1",
          port,
          security: "none",
          login: "a",
          auth: { method: "password", password: "pw" },
        },
        { timeoutMs: 300 },
      );
      assert.equal(result.ok, false);
      assert.equal(result.ok === false && result.reason, "unreachable");
    }
  } finally {
    silent.close();
  }
});
