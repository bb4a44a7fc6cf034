import { ImapFlow } from "imapflow";
import { describe, expect, inject, it } from "vitest";
import { attachCyrus } from "./cyrus.ts";

const cyrus = attachCyrus(inject("mailservers").cyrus);

function client(user: string, password: string): ImapFlow {
  return new ImapFlow({
    host: cyrus.host,
    port: cyrus.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
  });
}

describe("Cyrus IMAP (third server product)", () => {
  it("logs a new user in with INBOX and Sent, and refuses an APPEND with bare LF line endings", async () => {
    const user = cyrus.addUser(`cyrus-basic-${process.pid}`, "pw-basic");
    const imap = client(user.user, user.password);
    await imap.connect();
    try {
      const folders = await imap.list();
      expect(folders.map((f) => f.path).sort()).toEqual(["INBOX", "Sent"]);
      expect(folders.find((f) => f.path === "Sent")).toMatchObject({
        specialUse: "\\Sent",
        specialUseSource: "extension",
      });
      expect(imap.namespaces?.other).toEqual([{ prefix: "Other Users/", delimiter: "/" }]);
      await expect(imap.append("Sent", "Subject: lf\n\nbody\n")).rejects.toThrow();
      await imap.append("Sent", "Subject: crlf\r\n\r\nbody\r\n");
      expect((await imap.mailboxOpen("Sent")).exists).toBe(1);
    } finally {
      await imap.logout();
    }
  });

  it("refuses a wrong password", async () => {
    const user = cyrus.addUser(`cyrus-bad-${process.pid}`, "right-password");
    await expect(client(user.user, "wrong-password").connect()).rejects.toThrow();
  });
});
