// The read side of collected mail under Deno: FTS5 through libSQL's native binding, the body indexer
// (postal-mime), paging and raw chunks. Run with `npx deno test -A packages/store/src/messages-read.deno.test.ts`.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { searchText } from "@mailreg/message";
import {
  commitMessageChunk,
  indexPendingMessageText,
  listMessageFolders,
  listMessages,
  openStore,
  readRawMessage,
} from "./mod.ts";
import { insertTestMailbox } from "./testing.ts";

Deno.test("stored messages are listed, searched by body and header words, and read back byte for byte under Deno", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailreg-deno-read-"));
  try {
    const store = await openStore({ url: `file:${dir}/deno.db` });
    const mailboxId = await insertTestMailbox(store);
    const raws = ["Grüße", "Angebot", "Rechnung"].map((subject, i) =>
      new TextEncoder().encode(
        `From: Jürgen <j@example.org>\r\nSubject: ${subject}\r\n\r\nText number ${i} über Räume\r\n`,
      ),
    );
    const ids = raws.map((_, i) => `0193d0a0-0000-7000-8000-00000000000${i}`);
    await commitMessageChunk(store, {
      inserts: raws.map((raw, i) => ({
        id: ids[i]!,
        mailboxId,
        folder: "INBOX",
        uidvalidity: 1,
        uid: i + 1,
        contentHash: "0".repeat(64),
        size: raw.byteLength,
        flags: [],
        envelope: {
          subject: ["Grüße", "Angebot", "Rechnung"][i],
          from: [{ name: "Jürgen", address: "j@example.org" }],
        },
        raw,
        storedAt: new Date().toISOString(),
      })),
    });
    assert.deepEqual(await indexPendingMessageText(store, { extractText: searchText }), {
      indexed: 3,
      more: false,
    });
    assert.deepEqual(
      (await listMessageFolders(store, mailboxId)).map((f) => [f.folder, f.count]),
      [["INBOX", 3]],
    );
    const first = await listMessages(store, { mailboxId, limit: 2 });
    assert.deepEqual(
      first.messages.map((m) => m.id),
      [ids[2], ids[1]],
    );
    const second = await listMessages(store, { mailboxId, limit: 2, cursor: first.nextCursor! });
    assert.deepEqual(
      second.messages.map((m) => m.id),
      [ids[0]],
    );
    assert.deepEqual(
      (await listMessages(store, { mailboxId, q: "number 1" })).messages.map((m) => m.id),
      [ids[1]],
    );
    assert.deepEqual(
      (await listMessages(store, { mailboxId, subject: "grusse" })).messages.map((m) => m.id),
      [],
    );
    assert.deepEqual(
      (await listMessages(store, { mailboxId, subject: "grüße" })).messages.map((m) => m.id),
      [ids[0]],
    );
    assert.deepEqual(await readRawMessage(store, ids[2]!), raws[2]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
