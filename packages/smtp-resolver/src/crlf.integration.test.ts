// A message handed in with "\n" line endings goes out CRLF-canonical to both of its destinations:
// the SMTP sink and the Sent folder on Courier-IMAP, the suite's second server product. A recording
// proxy in front of Courier keeps the bytes of the APPEND as they went over the wire (Courier, like
// most servers, answers a FETCH in CRLF whatever it was given, so only the wire shows what was sent).
import { randomUUID } from "node:crypto";
import { open } from "@mailreg/crypto-registry";
import { testKeyring } from "@mailreg/crypto-registry/testing";
import {
  attachCourier,
  attachCyrus,
  type FaultProxy,
  type SmtpSinkHandle,
  startFaultProxy,
  startSmtpSink,
} from "@mailreg/mailservers";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { testMailbox } from "../test/fixtures.ts";
import { imapSentFolder } from "./imap-sent-folder.ts";
import { memoryOutbox } from "./memory-outbox.ts";
import { copyToSentAgain, deliverDue, enqueue } from "./outbox.ts";
import type { SendingMailbox } from "./ports.ts";
import { Sender, type SendTarget } from "./sender.ts";

const courier = attachCourier(inject("mailservers").courier);
const keyring = await testKeyring();
const user = courier.addUser(`crlf-${process.pid}`, "crlf-password");
let proxy: FaultProxy;
let sink: SmtpSinkHandle;
const sender = new Sender();

beforeAll(async () => {
  proxy = await startFaultProxy({ target: { host: courier.host, port: courier.imapPort }, record: true });
  sink = await startSmtpSink();
  const client = new ImapFlow({
    host: courier.host,
    port: courier.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  await client.connect();
  await client.mailboxCreate("INBOX.Sent");
  await client.logout();
});
afterAll(async () => {
  sender.close();
  await Promise.all([proxy.close(), sink.stop()]);
});

/** The literal of the last APPEND the proxy forwarded to Courier. */
function appended(): Buffer {
  const up = Buffer.concat(proxy.connections.flatMap((c) => c.recorded?.up ?? []));
  const command = up.lastIndexOf("APPEND ");
  const literal = /\{(\d+)\+?\}\r\n/.exec(up.subarray(command).toString("latin1"));
  if (literal === null) throw new Error("no APPEND went through the proxy");
  const start = command + literal.index + literal[0].length;
  return up.subarray(start, start + Number(literal[1]));
}

const BARE = /\r(?!\n)|(?<!\r)\n/;

describe("CRLF on the way out (SMTP, and the Sent copy on Courier-IMAP and Cyrus)", () => {
  it("sends an LF-only raw message byte-identical to the sink and the Sent folder, apart from CRLF", async () => {
    const { mailbox } = await testMailbox({
      address: `${user.user}@example.test`,
      login: user.user,
      password: user.password,
      server: { host: proxy.host, port: proxy.port, security: "none" },
      keyring,
    });
    const outbox = memoryOutbox({ mailboxes: [mailbox] });
    const to = `crlf-rcpt-${randomUUID()}@example.test`;
    const lf = `From: ${mailbox.address}\nTo: ${to}\nSubject: line endings\nMessage-ID: <${randomUUID()}@example.test>\nDate: Tue, 08 Dec 2026 00:00:00 +0000\n\nfirst line\nsecond line\n\n-- \nsignature\n`;
    const { messageId } = await enqueue(outbox, { mailboxId: mailbox.id, raw: lf });
    const report = await deliverDue(outbox, sender, {
      targetFor: async (): Promise<SendTarget> => ({
        settings: { host: sink.host, port: sink.port, tls: { verify: true } },
        credentials: { method: "none" },
      }),
      sentFolder: imapSentFolder({
        profileFor: (m: SendingMailbox) =>
          open(m.sealed ?? "", keyring, { registrationId: m.registrationId ?? "", address: m.address }),
        folderFor: () => "INBOX.Sent",
      }),
    });
    expect(report).toMatchObject({ sent: 1 });
    expect(report.outcomes[0]?.sentFolder).toBe("INBOX.Sent");

    const crlf = lf.replaceAll("\n", "\r\n");
    const received = sink.messages.find((m) => m.raw.includes(messageId));
    expect(received?.raw).toBe(crlf); // sink: what nodemailer put on the wire
    const copy = appended();
    expect(BARE.test(copy.toString("latin1"))).toBe(false);
    expect(copy.toString("utf8")).toBe(crlf); // Sent folder: what the APPEND carried
  });

  it("appends a composed message whose text has LF line endings with CRLF only, as the sink got it", async () => {
    const { mailbox } = await testMailbox({
      address: `${user.user}@example.test`,
      login: user.user,
      password: user.password,
      server: { host: proxy.host, port: proxy.port, security: "none" },
      keyring,
    });
    const outbox = memoryOutbox({ mailboxes: [mailbox] });
    const to = `crlf-fields-${randomUUID()}@example.test`;
    const { messageId } = await enqueue(outbox, {
      mailboxId: mailbox.id,
      message: { to, subject: "composed", text: "Hallo\nzweite Zeile\n" },
    });
    await deliverDue(outbox, sender, {
      targetFor: async () => ({
        settings: { host: sink.host, port: sink.port, tls: { verify: true } },
        credentials: { method: "none" },
      }),
      sentFolder: imapSentFolder({
        profileFor: (m: SendingMailbox) =>
          open(m.sealed ?? "", keyring, { registrationId: m.registrationId ?? "", address: m.address }),
        folderFor: () => "INBOX.Sent",
      }),
    });
    const received = sink.messages.find((m) => m.raw.includes(messageId));
    const copy = appended().toString("utf8");
    expect(copy).toContain(`Message-ID: ${messageId}`);
    expect(BARE.test(copy)).toBe(false);
    expect(copy).toBe(received?.raw);
  });

  it("reports a failed Sent copy as a warning on the sent message, and copies it when tried again", async () => {
    const { mailbox } = await testMailbox({
      address: `${user.user}@example.test`,
      login: user.user,
      password: user.password,
      server: { host: courier.host, port: courier.imapPort, security: "none" },
      keyring,
    });
    const outbox = memoryOutbox({ mailboxes: [mailbox] });
    let folder = "INBOX.Missing"; // Courier refuses an APPEND to a folder that does not exist
    const sentFolder = imapSentFolder({
      profileFor: (m: SendingMailbox) =>
        open(m.sealed ?? "", keyring, { registrationId: m.registrationId ?? "", address: m.address }),
      folderFor: () => folder,
    });
    const { id, messageId } = await enqueue(outbox, {
      mailboxId: mailbox.id,
      raw: `From: ${mailbox.address}\nTo: retry-${randomUUID()}@example.test\nSubject: retry\n\nx\n`,
    });
    const report = await deliverDue(outbox, sender, {
      targetFor: async () => ({
        settings: { host: sink.host, port: sink.port, tls: { verify: true } },
        credentials: { method: "none" },
      }),
      sentFolder,
    });
    expect(report.outcomes[0]).toMatchObject({
      status: "sent",
      sentCopyError: { code: "MAIL_PROTOCOL", message: expect.stringMatching(/^Sent, but not copied/) },
    });
    expect(outbox.entries().find((e) => e.id === id)).toMatchObject({
      status: "sent",
      sentFolder: null,
      errorCode: "MAIL_PROTOCOL",
    });

    folder = "INBOX.Sent";
    expect(await copyToSentAgain(outbox, sentFolder, { id, mailboxId: mailbox.id })).toBe("INBOX.Sent");
    expect(outbox.entries().find((e) => e.id === id)).toMatchObject({
      sentFolder: "INBOX.Sent",
      lastError: null,
      errorCode: null,
    });
    expect(sink.messages.filter((m) => m.raw.includes(messageId))).toHaveLength(1); // never sent twice
  });

  it("appends the Sent copy of an LF-only message on Cyrus, which refuses bare LF, to its \\Sent folder", async () => {
    const cyrus = attachCyrus(inject("mailservers").cyrus);
    const owner = cyrus.addUser(`crlf-cyrus-${process.pid}`, "crlf-cyrus-password");
    const { mailbox } = await testMailbox({
      address: `${owner.user}@example.test`,
      login: owner.user,
      password: owner.password,
      server: { host: cyrus.host, port: cyrus.imapPort, security: "none" },
      keyring,
    });
    const outbox = memoryOutbox({ mailboxes: [mailbox] });
    const to = `cyrus-rcpt-${randomUUID()}@example.test`;
    const { id, messageId } = await enqueue(outbox, {
      mailboxId: mailbox.id,
      raw: `From: ${mailbox.address}\nTo: ${to}\nSubject: to Cyrus\n\nplain\nlines\n`,
    });
    const report = await deliverDue(outbox, sender, {
      targetFor: async () => ({
        settings: { host: sink.host, port: sink.port, tls: { verify: true } },
        credentials: { method: "none" },
      }),
      // no folder configured: the one Cyrus marks \Sent
      sentFolder: imapSentFolder({
        profileFor: (m: SendingMailbox) =>
          open(m.sealed ?? "", keyring, { registrationId: m.registrationId ?? "", address: m.address }),
      }),
    });
    expect(report.outcomes[0]).toMatchObject({ status: "sent", sentFolder: "Sent" });
    expect(report.outcomes[0]?.sentCopyError).toBeUndefined();
    expect(outbox.entries().find((e) => e.id === id)).toMatchObject({ sentFolder: "Sent", errorCode: null });

    const client = new ImapFlow({
      host: cyrus.host,
      port: cyrus.imapPort,
      secure: false,
      doSTARTTLS: false,
      auth: { user: owner.user, pass: owner.password },
      logger: false,
    });
    await client.connect();
    try {
      await client.mailboxOpen("Sent");
      const stored = await client.fetchOne("*", { source: true });
      const received = sink.messages.find((m) => m.raw.includes(messageId));
      expect(stored === false ? undefined : stored.source?.toString("utf8")).toBe(received?.raw);
    } finally {
      await client.logout();
    }
  });
});
