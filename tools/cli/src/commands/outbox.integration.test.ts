import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@mailreg/core";
import { getOutboxMessage, storeOutboxQueue } from "@mailreg/store";
import { ImapFlow } from "imapflow";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import { runCli } from "../testing.ts";

const dovecot = inject("mailservers").dovecot;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-outbox-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mailreg outbox copy-to-sent", () => {
  it("copies a sent message whose Sent copy failed into the Sent folder and clears the warning; refuses one not sent", async () => {
    const folder = await mailFolder(dir, dovecot);
    const { mailbox, user } = await folder.addMailbox({ count: 0 });
    const id = newId();
    const messageId = `<${id}@example.test>`;
    const store = await folder.openStore();
    try {
      // what the worker leaves when the copy failed after the send
      const queue = storeOutboxQueue(store);
      await queue.insert({
        id,
        mailboxId: mailbox.id,
        messageId,
        raw: new TextEncoder().encode(
          `From: ${mailbox.address}\r\nTo: bob@example.test\r\nMessage-ID: ${messageId}\r\nSubject: again\r\n\r\nx\r\n`,
        ),
        envelope: { from: mailbox.address, to: ["bob@example.test"] },
      });
      await queue.markSent([{ id, at: new Date(), response: "250 OK" }]);
      await queue.recordSentCopy(id, {
        error: "Sent, but not copied to the Sent folder: timeout",
        errorCode: "MAIL_CONNECTION_FAILED",
      });
      const queued = newId();
      await queue.insert({
        id: queued,
        mailboxId: mailbox.id,
        messageId: `<${queued}@example.test>`,
        raw: new TextEncoder().encode("Subject: not yet\r\n\r\nx\r\n"),
        envelope: { from: mailbox.address, to: ["bob@example.test"] },
      });

      const r = await runCli(["outbox", "copy-to-sent", id], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${id}: copied to Sent\n`);
      expect(await getOutboxMessage(store, id)).toMatchObject({
        sentFolder: "Sent",
        errorCode: null,
        lastError: null,
      });

      const notSent = await runCli(["outbox", "copy-to-sent", queued], { cwd: dir });
      expect(notSent.code).toBe(1);
      expect(notSent.stderr).toContain("not sent");
    } finally {
      store.close();
    }
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapPort,
      secure: false,
      tls: { ca: dovecot.caPem, servername: dovecot.servername },
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    await client.connect();
    try {
      await client.mailboxOpen("Sent");
      const found = await client.search({ header: { "message-id": messageId } }, { uid: true });
      expect(found).toHaveLength(1);
    } finally {
      await client.logout();
    }
  });
});
