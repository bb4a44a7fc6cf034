import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailregError } from "@mailreg/core";
import { ImapFlow, type ListResponse } from "imapflow";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestCertificate } from "./cert.ts";
import type { DovecotInfo } from "./dovecot.ts";
import { attachDovecot, type DovecotHandle, startDovecot } from "./dovecot.ts";
import { generateMessages } from "./messages.ts";
import { addPasswdUser } from "./passwd-file.ts";
import { createFolders, seedMaildir } from "./seed.ts";

const shared = inject("mailservers").dovecot;
const NESTED = ["Firma", "Kundenbetreuung", "kunden", "a"];

let counter = 0;
/** A fresh user on the shared server, so test files never see each other's mail. */
function freshUser(info: DovecotInfo = shared): { user: string; password: string } {
  const user = `dv-${process.pid}-${++counter}`;
  const password = `pw-${user}`;
  addPasswdUser(info.passwdDir, { user, password });
  return { user, password };
}

function imap(info: DovecotInfo, user: { user: string; password: string }, implicitTls = false): ImapFlow {
  return new ImapFlow({
    host: info.host,
    port: implicitTls ? info.imapsPort : info.imapPort,
    secure: implicitTls,
    tls: { ca: info.caPem, servername: info.servername },
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
}

async function withImap<T>(client: ImapFlow, run: (c: ImapFlow) => Promise<T>): Promise<T> {
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.logout();
  }
}

function byPath(list: ListResponse[]): Map<string, ListResponse> {
  return new Map(list.map((m) => [m.path, m]));
}

describe("shared Dovecot (separator '/')", () => {
  it("logs in over STARTTLS and over IMAPS, verifying the test certificate", async () => {
    const user = freshUser();
    for (const implicitTls of [false, true]) {
      const client = imap(shared, user, implicitTls);
      await withImap(client, async (c) => {
        expect(c.authenticated).toBeTruthy();
        expect(c.secureConnection || c.capabilities.has("STARTTLS") === false).toBe(true);
      });
    }
  });

  it("refuses the connection when the client does not trust the test certificate", async () => {
    const user = freshUser();
    const client = new ImapFlow({
      host: shared.host,
      port: shared.imapsPort,
      secure: true,
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    await expect(client.connect()).rejects.toThrow(/certificate/i);
  });

  it("refuses a wrong password", async () => {
    const user = freshUser();
    const client = imap(shared, { user: user.user, password: "wrong" });
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
  });

  it("sees a user added to the passwd-file by a test process without a reload", async () => {
    const tools = attachDovecot(structuredClone(shared));
    const user = { user: `late-${process.pid}`, password: "late-password" };
    tools.addUser(user.user, user.password);
    await withImap(imap(shared, user), async (c) => expect(c.authenticated).toBeTruthy());
  });

  it("lists special-use folders, subscribed, and a nested folder with the '/' delimiter", async () => {
    const user = freshUser();
    await createFolders(attachDovecot(shared), user.user, [NESTED.join("/")]);
    const list = await withImap(imap(shared, user), (c) => c.list());
    const folders = byPath(list);
    for (const [name, use] of [
      ["Sent", "\\Sent"],
      ["Drafts", "\\Drafts"],
      ["Trash", "\\Trash"],
      ["Junk", "\\Junk"],
      ["Archive", "\\Archive"],
    ]) {
      expect(folders.get(name!), name).toMatchObject({ specialUse: use, subscribed: true });
    }
    expect(folders.get("Firma/Kundenbetreuung/kunden/a")).toMatchObject({ delimiter: "/", subscribed: true });
    expect(folders.get("Firma")?.flags.has("\\HasChildren")).toBe(true);
  });

  it("allows '.' inside folder names (maildir LAYOUT=fs)", async () => {
    const user = freshUser();
    await withImap(imap(shared, user), async (c) => {
      await c.mailboxCreate("Projekte/v1.2");
      expect(byPath(await c.list()).has("Projekte/v1.2")).toBe(true);
    });
  });

  it("shows a seeded INBOX of 1,000 messages with their sizes, dates, flags and subjects", async () => {
    const user = freshUser();
    const messages = [...generateMessages({ count: 1_000, seed: 7, minSize: 1_500, maxSize: 30_000 })];
    const seeded = await seedMaildir(attachDovecot(shared), user.user, "INBOX", messages);
    expect(seeded.count).toBe(1_000);
    await withImap(imap(shared, user), async (c) => {
      const box = await c.mailboxOpen("INBOX");
      expect(box.exists).toBe(1_000);
      const fetched = [];
      for await (const m of c.fetch("1:*", { size: true, internalDate: true, flags: true, envelope: true })) {
        fetched.push(m);
      }
      expect(fetched.map((m) => m.size)).toEqual(messages.map((m) => m.size));
      expect(fetched.map((m) => m.envelope?.subject)).toEqual(messages.map((m) => m.subject));
      expect(fetched.map((m) => (m.internalDate as Date).getTime())).toEqual(
        messages.map((m) => Math.floor(m.internalDate.getTime() / 1000) * 1000),
      );
      expect(fetched.map((m) => [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort())).toEqual(
        messages.map((m) => [...m.flags].sort()),
      );
    });
  });

  it("advertises CONDSTORE and QRESYNC", async () => {
    const user = freshUser();
    const caps = await withImap(imap(shared, user), async (c) => c.capabilities);
    expect(caps.has("CONDSTORE")).toBe(true);
    expect(caps.has("QRESYNC")).toBe(true);
  });
});

describe("a second Dovecot with separator '.' and no CONDSTORE", () => {
  let dovecot: DovecotHandle;
  const user = { user: "dot-user", password: "dot-password" };

  beforeAll(async () => {
    dovecot = await startDovecot({ separator: ".", condstore: false, users: [user] });
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it("lists the nested folder with the '.' delimiter and special-use folders", async () => {
    await createFolders(dovecot, user.user, ["Firma.Kundenbetreuung.kunden.a"]);
    const folders = byPath(await withImap(imap(dovecot, user), (c) => c.list()));
    expect(folders.get("Firma.Kundenbetreuung.kunden.a")).toMatchObject({ delimiter: ".", subscribed: true });
    expect(folders.get("Sent")).toMatchObject({ specialUse: "\\Sent", delimiter: "." });
    // Maildir++ keeps every folder as a dot-directory in the maildir root
    expect(readdirSync(dovecot.maildirOf(user.user))).toContain(".Firma.Kundenbetreuung.kunden.a");
  });

  it("does not advertise CONDSTORE or QRESYNC", async () => {
    const caps = await withImap(imap(dovecot, user), async (c) => c.capabilities);
    expect(caps.has("CONDSTORE")).toBe(false);
    expect(caps.has("QRESYNC")).toBe(false);
    expect(caps.has("UIDPLUS")).toBe(true);
  });

  it("seeds into a nested Maildir++ folder", async () => {
    const result = await seedMaildir(
      dovecot,
      user.user,
      "Archiv.2024",
      generateMessages({ count: 25, seed: 3 }),
    );
    expect(result.path.endsWith("/.Archiv.2024")).toBe(true);
    const status = await withImap(imap(dovecot, user), (c) => c.status("Archiv.2024", { messages: true }));
    expect(status).toMatchObject({ messages: 25 });
  });
});

describe("startDovecot()", () => {
  it("reports Dovecot's own words and its log when it cannot start", async () => {
    const certDir = mkdtempSync(join(tmpdir(), "mailreg-cert-test-"));
    try {
      const certificate = await createTestCertificate(certDir);
      const error = await startDovecot({
        certificate: { ...certificate, keyPath: join(certDir, "missing.pem") },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MailregError);
      expect((error as MailregError).message).toMatch(/Dovecot failed to start[\s\S]*missing\.pem/);
      // the files stay for inspection: the error says where
      const kept = String((error as MailregError).details?.dir);
      expect(readdirSync(kept)).toContain("dovecot.conf");
      rmSync(kept, { recursive: true, force: true });
    } finally {
      rmSync(certDir, { recursive: true, force: true });
    }
  });

  it("frees its ports and removes its directory when stopped", async () => {
    const dovecot = await startDovecot();
    const started = performance.now();
    await dovecot.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(() => readdirSync(dovecot.dir)).toThrow();
    const again = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, logger: false });
    await expect(again.connect()).rejects.toThrow();
  });
});
