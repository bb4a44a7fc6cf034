import { ImapFlow } from "imapflow";
import { describe, expect, inject, it } from "vitest";
import { LineClient } from "../test/line-client.ts";
import { attachCourier } from "./courier.ts";

const courier = attachCourier(inject("mailservers").courier);

function client(user: string, password: string): ImapFlow {
  return new ImapFlow({
    host: courier.host,
    port: courier.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: process.env.DEBUG_IMAP
      ? {
          debug: (o: { msg?: string }) => console.log(o.msg),
          info: () => {},
          warn: () => {},
          error: () => {},
        }
      : false,
  });
}

describe("Courier-IMAP (second server product)", () => {
  it("logs a new user in and answers as RFC 3501 allows: no UIDNEXT on SELECT, no CONDSTORE", async () => {
    const user = courier.addUser(`courier-basic-${process.pid}`, "pw-basic");
    const imap = client(user.user, user.password);
    await imap.connect();
    try {
      for (const capability of ["CONDSTORE", "QRESYNC", "LIST-STATUS", "SPECIAL-USE", "MOVE"])
        expect(imap.capabilities.has(capability)).toBe(false);
      await imap.append("INBOX", "Subject: one\r\n\r\nbody\r\n");
      const mailbox = await imap.mailboxOpen("INBOX");
      expect(mailbox.exists).toBe(1);
      expect(mailbox.uidNext).toBeUndefined();
      expect(Number(mailbox.uidValidity)).toBeGreaterThan(0);
      expect(await imap.status("INBOX", { uidNext: true })).toMatchObject({ uidNext: 2 });
      expect(imap.namespace?.delimiter).toBe(".");
    } finally {
      await imap.logout();
    }
  });

  it("refuses a wrong password", async () => {
    const user = courier.addUser(`courier-bad-${process.pid}`, "right-password");
    const imap = client(user.user, "wrong-password");
    await expect(imap.connect()).rejects.toThrow();
  });

  it("shows a folder another user shared by ACL under #shared., not in the personal LIST", async () => {
    const owner = courier.addUser(`courier-owner-${process.pid}`, "pw-owner");
    const reader = courier.addUser(`courier-reader-${process.pid}`, "pw-reader");
    const ownerImap = client(owner.user, owner.password);
    await ownerImap.connect();
    try {
      await ownerImap.mailboxCreate("INBOX.Team");
      await ownerImap.append("INBOX.Team", "Subject: shared\r\n\r\nfor the team\r\n");
    } finally {
      await ownerImap.logout();
    }
    // imapflow has no SETACL and puts its personal prefix ("INBOX.") before every path: raw lines
    const ownerLines = await _login(owner.user, owner.password);
    ownerLines.send(`s SETACL INBOX.Team ${reader.user} lr`);
    expect((await ownerLines.readUntil(/^s /)).at(-1)).toMatch(/^s OK/);
    ownerLines.close();

    const readerImap = client(reader.user, reader.password);
    await readerImap.connect();
    try {
      expect((await readerImap.list()).map((f) => f.path)).toEqual(["INBOX"]);
    } finally {
      await readerImap.logout();
    }
    const readerLines = await _login(reader.user, reader.password);
    readerLines.send('l LIST "" "#shared.*"');
    const listed = await readerLines.readUntil(/^l /);
    expect(listed).toContain(`* LIST (\\HasNoChildren) "." "#shared.${owner.user}.Team"`);
    readerLines.send(`e EXAMINE "#shared.${owner.user}.Team"`);
    expect(await readerLines.readUntil(/^e /)).toContain("* 1 EXISTS");
    readerLines.close();
  });
});

async function _login(user: string, password: string): Promise<LineClient> {
  const lines = await LineClient.open(courier.host, courier.imapPort);
  await lines.readLine();
  lines.send(`a LOGIN ${user} ${password}`);
  expect((await lines.readUntil(/^a /)).at(-1)).toMatch(/^a OK/);
  return lines;
}
