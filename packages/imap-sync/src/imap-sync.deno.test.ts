// Deno smoke tests: parsing, folder policy, hashing, the JSON-file sync state and the IMAP/POP3
// clients' error paths run under Deno as they are.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { newId } from "@mailreg/core";
import {
  contentHash,
  createSink,
  openJsonFileSyncState,
  parseEnvelope,
  selectFolders,
  verifyLogin,
} from "./mod.ts";

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

Deno.test("the JSON-file sync state keeps what a run committed under Deno, in a file of mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    const state = await openJsonFileSyncState(path);
    const journal = state.openJournal("m1");
    const key = { mailboxId: "m1", folder: "INBOX", uidValidity: 7, uid: 1 };
    const message = {
      id: newId(),
      key,
      raw,
      size: raw.length,
      flags: [],
      envelope: parseEnvelope(raw),
      delimiter: "/",
      contentHash: contentHash(raw),
    };
    const plan = await journal.plan([message], []);
    await journal.commit(plan, {
      folderState: {
        mailboxId: "m1",
        folder: "INBOX",
        delimiter: "/",
        specialUse: null,
        state: { uidValidity: 7, lastUid: 1 },
      },
    });
    await journal.close();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const reopened = await openJsonFileSyncState(path);
    assert.deepEqual(await reopened.folderStates("m1"), [
      { folder: "INBOX", state: { uidValidity: 7, lastUid: 1 } },
    ]);
    assert.deepEqual(await reopened.openJournal("m1").isStored([key, { ...key, uid: 2 }]), [true, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
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

Deno.test("the mbox sink from the registry appends an mboxrd entry once under Deno, in a file of mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sink = createSink({ kind: "mbox", path: `${dir}/{mailbox}.mbox` }, "archive");
    const message = {
      id: "m",
      raw: new TextEncoder().encode("Subject: hi\r\n\r\nFrom here\r\n"),
      size: 27,
      flags: [],
      internalDate: new Date("2026-12-08T09:05:03Z"),
      envelope: parseEnvelope(raw),
      delimiter: "/",
    };
    const key = { mailboxId: "ann", folder: "INBOX", uidValidity: 1, uid: 9 };
    await sink.store(message, key, "h");
    await createSink({ kind: "mbox", path: `${dir}/{mailbox}.mbox` }).store(message, key, "h");
    assert.equal(
      await Deno.readTextFile(`${dir}/ann.mbox`),
      "From j@example.org Tue Dec  8 09:05:03 2026\nX-Mailreg-Key: ann INBOX 1:9\nSubject: hi\n\n>From here\n\n",
    );
    assert.equal((await Deno.stat(`${dir}/ann.mbox`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
