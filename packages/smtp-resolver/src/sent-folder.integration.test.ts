import { randomUUID } from "node:crypto";
import { validateConfig } from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import { testKeyring } from "@mailreg/crypto-registry/testing";
import { attachDovecot, waitForSpool } from "@mailreg/mailservers";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { testMailbox } from "../test/fixtures.ts";
import { imapSentFolder } from "./imap-sent-folder.ts";
import { type MemoryOutbox, memoryOutbox } from "./memory-outbox.ts";
import { deliverDue, enqueue } from "./outbox.ts";
import type { SendingMailbox } from "./ports.ts";
import { Sender } from "./sender.ts";
import { configTargets } from "./targets.ts";

const { dovecot, smtpSink } = inject("mailservers");
const keyring = await testKeyring();
const tls = { ca: dovecot.caPem, servername: dovecot.servername };
// The mailbox's server template: Dovecot's IMAP, with Dovecot's submission service as SMTP counterpart.
const config = validateConfig({
  servers: [
    {
      id: "dovecot",
      label: "Dovecot",
      protocol: "imap",
      host: dovecot.host,
      port: dovecot.imapPort,
      security: "starttls",
      smtp: {
        host: dovecot.host,
        port: dovecot.submissionPort,
        security: "starttls",
        auth: { method: "plain" },
        tls: { verify: true, servername: dovecot.servername },
      },
    },
  ],
  instances: [{ id: "test", label: "Test" }],
});
const profileFor = (m: SendingMailbox) =>
  open(m.sealed ?? "", keyring, { registrationId: m.registrationId ?? "", address: m.address });

let outbox: MemoryOutbox;
let mailbox: SendingMailbox;
let pop3: SendingMailbox;
const user = `sent-${process.pid}@example.test`;
const password = "sent-folder-password";
const sender = new Sender({ ca: dovecot.caPem, timeoutMs: 5000 });

beforeAll(async () => {
  attachDovecot(dovecot).addUser(user, password);
  ({ mailbox } = await testMailbox({
    address: user,
    template: "dovecot",
    server: { host: dovecot.host, port: dovecot.imapPort, security: "starttls" },
    password,
    keyring,
  }));
  ({ mailbox: pop3 } = await testMailbox({
    address: `pop3-${process.pid}@example.test`,
    template: "dovecot",
    server: { protocol: "pop3", host: dovecot.host, port: dovecot.pop3Port, security: "starttls" },
    password,
    keyring,
  }));
  outbox = memoryOutbox({ mailboxes: [mailbox, pop3] });
});
afterAll(() => {
  sender.close();
});
const entry = (id: string) => outbox.entries().find((e) => e.id === id);

async function sentFolderFlags(
  login: string,
  pass: string,
  messageId: string,
): Promise<{ folder: string; flags: string[] }[]> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.imapPort,
    secure: false,
    tls,
    auth: { user: login, pass },
    logger: false,
  });
  await client.connect();
  try {
    const found: { folder: string; flags: string[] }[] = [];
    for (const folder of await client.list()) {
      const lock = await client.getMailboxLock(folder.path);
      try {
        const uids = await client.search({ header: { "message-id": messageId } }, { uid: true });
        for (const uid of uids || []) {
          const m = await client.fetchOne(String(uid), { flags: true }, { uid: true });
          // \Recent is a session flag the server sets on new messages, not one we store
          if (m)
            found.push({ folder: folder.path, flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent") });
        }
      } finally {
        lock.release();
      }
    }
    return found;
  } finally {
    await client.logout();
  }
}

describe("the Sent folder copy", () => {
  it("after a send through the template's SMTP counterpart, the message is in Dovecot's \\Sent folder, flagged \\Seen", async () => {
    const to = `sent-rcpt-${randomUUID()}@example.test`;
    const { id, messageId } = await enqueue(outbox, {
      mailboxId: mailbox.id,
      message: { to, subject: "Gesendet", text: "Hallo" },
    });
    const report = await deliverDue(outbox, sender, {
      targetFor: configTargets({ config, keyring }),
      sentFolder: imapSentFolder({ profileFor, tlsFor: () => tls }),
    });
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    expect(report.outcomes[0]?.sentFolder).toBe("Sent");
    const [relayed] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
    expect(relayed?.raw).toContain(`Message-ID: ${messageId}`);
    expect(relayed?.user).toBeUndefined(); // Dovecot relayed it; the login was Dovecot's
    expect(await sentFolderFlags(user, password, messageId)).toEqual([{ folder: "Sent", flags: ["\\Seen"] }]);
    expect(entry(id)).toMatchObject({
      status: "sent",
      sentFolder: "Sent",
      lastError: null,
    });
  });

  it("uses a configured folder name over the special-use one", async () => {
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapPort,
      secure: false,
      tls,
      auth: { user, pass: password },
      logger: false,
    });
    await client.connect();
    await client.mailboxCreate("Gesendete Objekte").catch(() => undefined);
    await client.logout();
    const to = `named-rcpt-${randomUUID()}@example.test`;
    const { messageId } = await enqueue(outbox, { mailboxId: mailbox.id, message: { to, text: "x" } });
    const report = await deliverDue(outbox, sender, {
      targetFor: configTargets({ config, keyring }),
      sentFolder: imapSentFolder({ profileFor, tlsFor: () => tls, folderFor: () => "Gesendete Objekte" }),
    });
    expect(report.outcomes[0]?.sentFolder).toBe("Gesendete Objekte");
    expect(await sentFolderFlags(user, password, messageId)).toEqual([
      { folder: "Gesendete Objekte", flags: ["\\Seen"] },
    ]);
  });

  it("keeps the message only in the outbox, status sent, when no appender is configured or the mailbox is POP3", async () => {
    const a = await enqueue(outbox, {
      mailboxId: mailbox.id,
      message: { to: `local-${randomUUID()}@example.test`, text: "x" },
    });
    const first = await deliverDue(outbox, sender, { targetFor: configTargets({ config, keyring }) });
    expect(first.sent).toBe(1);
    expect(entry(a.id)).toMatchObject({ status: "sent", sentFolder: null });
    expect(await sentFolderFlags(user, password, a.messageId)).toEqual([]);

    const b = await enqueue(outbox, {
      mailboxId: pop3.id,
      message: { to: `pop3-rcpt-${randomUUID()}@example.test`, text: "x" },
    });
    attachDovecot(dovecot).addUser(pop3.address, password); // its SMTP login
    const second = await deliverDue(outbox, sender, {
      targetFor: configTargets({ config, keyring }),
      sentFolder: imapSentFolder({ profileFor, tlsFor: () => tls }),
    });
    expect(second.outcomes[0]).toMatchObject({ status: "sent" });
    expect(entry(b.id)).toMatchObject({
      status: "sent",
      sentFolder: null,
      lastError: null,
    });
  });

  it("records a failed copy on the sent message instead of sending it again", async () => {
    const { id } = await enqueue(outbox, {
      mailboxId: mailbox.id,
      message: { to: `nocopy-${randomUUID()}@example.test`, text: "x" },
    });
    const report = await deliverDue(outbox, sender, {
      targetFor: configTargets({ config, keyring }),
      sentFolder: imapSentFolder({ profileFor, tlsFor: () => ({}) }), // the test CA is not trusted here
    });
    expect(report.sent).toBe(1);
    const row = entry(id);
    expect(row).toMatchObject({ status: "sent", sentFolder: null, errorCode: "MAIL_TLS_FAILED" });
    expect(row?.lastError).toMatch(/^Sent, but not copied to the Sent folder: The certificate of /);
    expect(
      (await deliverDue(outbox, sender, { targetFor: configTargets({ config, keyring }) })).claimed,
    ).toBe(0);
  });
});
