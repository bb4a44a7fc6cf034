/**
 * The read side against mail really collected from Dovecot: the admin API over messages with
 * non-ASCII headers, multipart with attachments and a 20 MB message, as `syncMailbox` stored them
 * and the worker's indexer indexed them.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionProfile, hashToken, jsonLogger, newId } from "@mailreg/core";
import { sampleConfig } from "@mailreg/core/testing";
import { seal } from "@mailreg/crypto-registry";
import { type TestKeyring, testKeyring } from "@mailreg/crypto-registry/testing";
import { syncMailbox } from "@mailreg/imap-sync";
import { attachDovecot, type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { searchText } from "@mailreg/message";
import {
  applyRegistration,
  indexPendingMessageText,
  insertRegistration,
  type Mailbox,
  mirrorConfig,
  openStore,
  type Store,
  storeSyncState,
} from "@mailreg/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp, type RegistrationApp } from "../app.ts";

const dovecot = inject("mailservers").dovecot;
const TOKEN = "mrt_collected-mail-test-token-0123456789abcdefghij";
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;

let dir: string;
let store: Store;
let keyring: TestKeyring;
let app: RegistrationApp["app"];
let mailbox: Mailbox;
const user = {
  user: `read-${process.pid}-${Math.random().toString(36).slice(2, 7)}`,
  password: "pw-read-side-secret",
};

/** A message as the server has it (CRLF), with when it arrived. */
function message(raw: string, internalDate: string, extra: Partial<GeneratedMessage> = {}): GeneratedMessage {
  const crlf = raw.replace(/\r?\n/g, "\r\n");
  return {
    raw: crlf,
    size: Buffer.byteLength(crlf),
    internalDate: new Date(internalDate),
    flags: ["\\Seen"],
    messageId: /Message-ID: (<[^>]+>)/i.exec(crlf)?.[1] ?? "",
    subject: "",
    from: "",
    hasAttachment: false,
    ...extra,
  };
}

const PDF = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 31 + 7) % 256));
const CSV = "Monat;Umsatz\nJänner;12\nFebruar;15\n";
/** 15 MB of binary: ≈ 20 MB once base64-encoded. */
const BIG = Buffer.alloc(15 * 1024 * 1024, 0);
for (let i = 0; i < BIG.length; i += 4096) BIG.writeUInt32LE((i * 2654435761) >>> 0, i);

const b64 = (b: Buffer) => b.toString("base64").replace(/.{76}/g, "$&\n");

const UMLAUTS = message(
  `From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9Fb=C3=A4cker?= <j.weissbaecker@kunde.example>
To: =?UTF-8?B?w4Zyw7hza8O2YmluZyBLbGF1c8OfZW4=?= <aeroe@example.test>
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen_=E2=80=93_Angebot?=
Date: Mon, 02 Jun 2025 09:00:00 +0200
Message-ID: <umlauts-${newId()}@kunde.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Sehr geehrte Damen und Herren, anbei unser Kostenvoranschlag für die Räumlichkeiten.
`,
  "2025-06-02T07:00:05Z",
);

const MULTIPART = message(
  `From: Buchhaltung <rechnung@lieferant.example>
To: owner@example.test
Cc: =?UTF-8?Q?Zo=C3=AB_=C3=87elik?= <zoe@example.test>
Subject: Rechnung 2025-0815 mit Anlagen
Date: Tue, 15 Jul 2025 10:00:00 +0000
Message-ID: <multipart-${newId()}@lieferant.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

Zahlbar binnen vierzehn Tagen.
--inner
Content-Type: text/html; charset=utf-8

<p>Zahlbar binnen <b>vierzehn</b> Tagen.</p>
--inner--
--outer
Content-Type: application/pdf; name="rechnung.pdf"
Content-Disposition: attachment; filename="rechnung.pdf"
Content-Transfer-Encoding: base64

${b64(PDF)}
--outer
Content-Type: text/csv; charset=utf-8
Content-Disposition: attachment; filename*=UTF-8''%C3%9Cbersicht%202025.csv
Content-Transfer-Encoding: quoted-printable

Monat;Umsatz
J=C3=A4nner;12
Februar;15
--outer--
`,
  "2025-07-15T10:00:07Z",
);

const HUGE = message(
  `From: Scanner <scanner@example.test>
To: owner@example.test
Subject: Scan of the archive boxes
Date: Wed, 20 Aug 2025 12:00:00 +0000
Message-ID: <huge-${newId()}@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

The whole archive as one file.
--b
Content-Type: application/octet-stream; name="archive.bin"
Content-Disposition: attachment; filename="archive.bin"
Content-Transfer-Encoding: base64

${b64(BIG)}
--b--
`,
  "2025-08-20T12:00:09Z",
);

async function collect(): Promise<void> {
  const summary = await syncMailbox(mailbox, {
    state: storeSyncState(store),
    keyring,
    connect: { tls: { ca: dovecot.caPem, servername: dovecot.servername }, timeoutMs: 30_000 },
    folderPolicy: INBOX_ONLY,
  });
  expect(summary.status, JSON.stringify(summary.error)).toBe("ok");
  await indexPendingMessageText(store, { extractText: searchText }); // what the worker runs after each collection
}

async function seed(messages: GeneratedMessage[]): Promise<void> {
  await seedMaildir(
    { ...attachDovecot(dovecot), separator: dovecot.separator },
    user.user,
    "INBOX",
    messages,
  );
}

const get = (path: string) => app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } });

interface Summary {
  id: string;
  subject: string;
  messageId: string | null;
  receivedAt: string;
  size: number;
}

async function find(query: string): Promise<Summary[]> {
  const res = await get(`/api/v1/admin/mailboxes/${mailbox.id}/messages?limit=500&${query}`);
  expect(res.status, query).toBe(200);
  return ((await res.json()) as { messages: Summary[] }).messages;
}

const idOf = async (m: GeneratedMessage) =>
  (await find("")).find((s) => `<${s.messageId}>` === m.messageId)?.id ?? "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-read-side-"));
  attachDovecot(dovecot).addUser(user.user, user.password);
  const config = sampleConfig({
    admin: { users: [], tokens: [{ name: "t", hash: await hashToken(TOKEN) }] },
  });
  store = await openStore({ url: `file:${join(dir, "mailreg.db")}` });
  await mirrorConfig(store, config);
  keyring = await testKeyring();
  app = createApp({ config, store, keyring, logger: jsonLogger(() => {}) }).app;
  const address = `${user.user}@example.test`;
  const profile: ConnectionProfile = {
    v: 1,
    address,
    protocol: "imap",
    host: dovecot.host,
    port: dovecot.imapPort,
    security: "starttls",
    login: user.user,
    auth: { method: "password", password: user.password },
  };
  const id = newId();
  await insertRegistration(store, {
    id,
    receivedAt: new Date().toISOString(),
    address,
    protocol: "imap",
    host: dovecot.host,
    port: dovecot.imapPort,
    security: "starttls",
    login: user.user,
    authMethod: "password",
    status: "pending",
    keyId: keyring.publicKey.kid,
    sealed: await seal(profile, keyring.publicKey, { registrationId: id, address }),
  });
  mailbox = (await applyRegistration(store, { id, instanceId: "main", actor: "test", profile })).mailbox;
  await seed([
    ...generateMessages({ count: 25, seed: 909, since: new Date("2025-01-01T00:00:00Z") }),
    UMLAUTS,
    MULTIPART,
    HUGE,
  ]);
  await collect();
}, 120_000);

afterAll(async () => {
  store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("collected mail through the admin API (Dovecot)", () => {
  it("pages newest first without gaps or repeats while new mail is collected between pages", async () => {
    const before = (await find("")).map((m) => m.id);
    expect(before).toHaveLength(28);
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const res = await get(
        `/api/v1/admin/mailboxes/${mailbox.id}/messages?limit=6${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      const page = (await res.json()) as { messages: Summary[]; nextCursor: string | null };
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor;
      // new mail arrives and is collected while the admin pages
      await seed([...generateMessages({ count: 2, seed: 1000 + round++ })]);
      await collect();
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(before);
    expect((await find("")).length).toBe(28 + 2 * round);
  });

  it("finds by sender, recipient, subject, date range and words of the text body", async () => {
    const umlauts = await idOf(UMLAUTS);
    const multipart = await idOf(MULTIPART);
    const ids = async (q: string) => (await find(q)).map((m) => m.id);
    expect(await ids(`from=${encodeURIComponent("Jürgen Weißbäcker")}`)).toEqual([umlauts]);
    expect(await ids("from=lieferant.example")).toEqual([multipart]);
    expect(await ids(`to=${encodeURIComponent("Klausßen")}`)).toEqual([umlauts]);
    expect(await ids(`to=${encodeURIComponent("zoe@example.test")}`)).toEqual([multipart]);
    expect(await ids(`subject=${encodeURIComponent("München")}`)).toEqual([umlauts]);
    expect(await ids("subject=2025-0815")).toEqual([multipart]);
    expect(await ids(`q=${encodeURIComponent("Räumlichkeiten")}`)).toEqual([umlauts]);
    expect(await ids("q=vierzehn")).toEqual([multipart]);
    expect(await ids("q=archive&since=2025-08-20&until=2025-08-20")).toEqual([await idOf(HUGE)]);
    const july = await find("since=2025-07-01&until=2025-07-31");
    expect(july.map((m) => m.id)).toContain(multipart);
    for (const m of july) expect(m.receivedAt >= "2025-07-01" && m.receivedAt < "2025-08-01").toBe(true);
    expect(july.find((m) => m.id === multipart)?.receivedAt).toBe("2025-07-15T10:00:07.000Z");
  });

  it("streams the 20 MB message with RSS staying under 100 MB above idle", async () => {
    const id = await idOf(HUGE);
    expect(HUGE.size).toBeGreaterThan(20_000_000);
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const idle = process.memoryUsage().rss;
    let peak = idle;
    const res = await get(`/api/v1/admin/messages/${id}/raw`);
    const hash = createHash("sha256");
    let bytes = 0;
    let chunks = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      bytes += value.byteLength;
      chunks++;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const growthMb = (peak - idle) / 1024 / 1024;
    console.log(
      `streaming ${(bytes / 1e6).toFixed(1)} MB raw: RSS idle ${(idle / 1048576).toFixed(0)} MB, peak +${growthMb.toFixed(1)} MB`,
    );
    expect(bytes).toBe(HUGE.size);
    expect(chunks).toBeGreaterThan(10); // read from the database a chunk at a time, not whole
    expect(hash.digest("hex")).toBe(createHash("sha256").update(HUGE.raw).digest("hex"));
    expect(growthMb).toBeLessThan(100);
  });
  it("serves every raw source byte for byte as the server has it, and decodes the attachments", async () => {
    for (const m of [UMLAUTS, MULTIPART, HUGE]) {
      const res = await get(`/api/v1/admin/messages/${await idOf(m)}/raw`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("message/rfc822");
      expect(Number(res.headers.get("content-length"))).toBe(m.size);
      const got = createHash("sha256")
        .update(Buffer.from(await res.arrayBuffer()))
        .digest("hex");
      expect(got).toBe(createHash("sha256").update(m.raw).digest("hex"));
    }
    const id = await idOf(MULTIPART);
    const detail = (await (await get(`/api/v1/admin/messages/${id}`)).json()) as {
      parts: { id: string; contentType: string; filename: string | null; size: number }[];
      envelope: { cc: { name?: string }[] };
    };
    expect(detail.envelope.cc[0]?.name).toBe("Zoë Çelik");
    expect(detail.parts).toEqual([
      expect.objectContaining({
        id: "1",
        contentType: "application/pdf",
        filename: "rechnung.pdf",
        size: PDF.length,
      }),
      expect.objectContaining({ id: "2", contentType: "text/csv", filename: "Übersicht 2025.csv" }),
    ]);
    const pdf = await get(`/api/v1/admin/messages/${id}/parts/1`);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await pdf.arrayBuffer()).equals(PDF)).toBe(true);
    const csv = await get(`/api/v1/admin/messages/${id}/parts/2`);
    expect(csv.headers.get("content-disposition")).toContain("filename*=UTF-8''%C3%9Cbersicht%202025.csv");
    expect((await csv.text()).replaceAll("\r\n", "\n")).toBe(CSV);
    const big = await get(`/api/v1/admin/messages/${await idOf(HUGE)}/parts/1`);
    expect(
      createHash("sha256")
        .update(Buffer.from(await big.arrayBuffer()))
        .digest("hex"),
    ).toBe(createHash("sha256").update(BIG).digest("hex"));
  });
});
