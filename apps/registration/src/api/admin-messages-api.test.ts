import { newId } from "@mailreg/core";
import { parseEnvelope } from "@mailreg/imap-sync";
import { searchText } from "@mailreg/message";
import { commitMessageChunk, indexPendingMessageText, purgeRawOlderThan } from "@mailreg/store";
import { insertTestMailbox } from "@mailreg/store/testing";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { attachmentDisposition, MESSAGE_CSP } from "../admin/message-downloads.ts";
import { call, createTestApp, TEST_ADMIN, type TestApp } from "../testing.ts";

let t: TestApp;
afterEach(() => t?.close());

const PDF = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) % 256);

function multipart(subject: string, filename: string): Uint8Array {
  const b64 = Buffer.from(PDF).toString("base64").replace(/.{76}/g, "$&\r\n");
  return new TextEncoder().encode(
    `From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@kunde.example>\r\nTo: Buchhaltung <bh@example.test>\r\n` +
      `Subject: ${subject}\r\nMessage-ID: <${newId()}@kunde.example>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `Anbei die Rechnung.\r\n--XX\r\nContent-Type: application/pdf\r\n` +
      `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(filename)}\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--XX--\r\n`,
  );
}

function plain(subject: string, body = "hello"): Uint8Array {
  return new TextEncoder().encode(
    `From: <a@example.org>\r\nTo: <b@example.org>\r\nSubject: ${subject}\r\n\r\n${body}\r\n`,
  );
}

let _uid = 0;
async function store(
  mailboxId: string,
  raws: Uint8Array[],
  folder = "INBOX",
  storedAt?: string,
): Promise<string[]> {
  const ids = raws.map(() => newId());
  const at = storedAt ?? new Date().toISOString();
  await commitMessageChunk(t.store, {
    inserts: raws.map((raw, i) => ({
      id: ids[i]!,
      mailboxId,
      folder,
      uidvalidity: 1,
      uid: ++_uid,
      contentHash: "0".repeat(64),
      size: raw.byteLength,
      flags: [],
      envelope: parseEnvelope(raw) as unknown as Record<string, unknown>,
      raw,
      storedAt: at,
    })),
  });
  await indexPendingMessageText(t.store, { extractText: searchText });
  return ids;
}

const get = (path: string) => call(t.app, "GET", path, { token: TEST_ADMIN.token });

describe("admin message API", () => {
  it("lists folders with counts and pages a folder's messages newest first, by a cursor", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store);
    await store(mailboxId, [plain("archived")], "Archiv/2025");
    for (let i = 0; i < 5; i++) await store(mailboxId, [plain(`inbox ${i}`)]);
    expect((await call(t.app, "GET", `/api/v1/admin/mailboxes/${mailboxId}/folders`)).status).toBe(401);
    const folders = await (await get(`/api/v1/admin/mailboxes/${mailboxId}/folders`)).json();
    expect(folders).toMatchObject({
      mailboxId,
      folders: [
        { folder: "INBOX", count: 5 },
        { folder: "Archiv/2025", count: 1 },
      ],
    });
    const subjects: string[] = [];
    let cursor = "";
    for (;;) {
      const res = await get(
        `/api/v1/admin/mailboxes/${mailboxId}/messages?folder=INBOX&limit=2${cursor === "" ? "" : `&cursor=${cursor}`}`,
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as { messages: { subject: string }[]; nextCursor: string | null };
      subjects.push(...page.messages.map((m) => m.subject));
      if (page.nextCursor === null) break;
      cursor = encodeURIComponent(page.nextCursor);
    }
    expect(subjects).toEqual(["inbox 4", "inbox 3", "inbox 2", "inbox 1", "inbox 0"]);
  });

  it("searches by sender, recipient, subject, free text and date, and refuses bad input with 400", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store);
    const [invoice] = await store(mailboxId, [multipart("Rechnung 4711", "r.pdf")]);
    await store(mailboxId, [plain("Lunch?", "Pizza at noon")]);
    const find = async (query: string) =>
      (
        (await (await get(`/api/v1/admin/mailboxes/${mailboxId}/messages?${query}`)).json()) as {
          messages: { id: string }[];
        }
      ).messages.map((m) => m.id);
    expect(await find("from=M%C3%BCller")).toEqual([invoice]);
    expect(await find("to=buchhaltung")).toEqual([invoice]);
    expect(await find("subject=4711")).toEqual([invoice]);
    expect(await find("q=rechnung")).toEqual([invoice]);
    expect(await find("q=pizza")).toHaveLength(1);
    expect(await find(`since=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`)).toEqual([]);
    expect(await find(`q=${encodeURIComponent('" OR NEAR(')}`)).toEqual([]);
    for (const bad of ["cursor=nonsense", "since=last-week", "limit=0", "limit=501"]) {
      const res = await get(`/api/v1/admin/mailboxes/${mailboxId}/messages?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
    }
    expect((await get(`/api/v1/admin/mailboxes/${newId()}/messages`)).status).toBe(404);
  });

  it("shows one message with its parts, serves its raw source byte for byte and its attachment decoded", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store);
    const raw = multipart("Rechnung", 'Rechnung März/../"2026".pdf');
    const [id] = await store(mailboxId, [raw]);
    const detail = await (await get(`/api/v1/admin/messages/${id}`)).json();
    expect(detail).toMatchObject({
      id,
      folder: "INBOX",
      subject: "Rechnung",
      envelope: { from: [{ name: "Jürgen Müller", address: "juergen@kunde.example" }] },
      size: raw.byteLength,
      sinks: [],
      parts: [
        {
          id: "1",
          contentType: "application/pdf",
          filename: 'Rechnung März/../"2026".pdf',
          size: PDF.length,
        },
      ],
    });
    const rawRes = await get(`/api/v1/admin/messages/${id}/raw`);
    expect(rawRes.status).toBe(200);
    expect(rawRes.headers.get("content-type")).toBe("message/rfc822");
    expect(rawRes.headers.get("content-security-policy")).toBe(MESSAGE_CSP);
    expect(Buffer.from(await rawRes.arrayBuffer()).equals(Buffer.from(raw))).toBe(true);
    const part = await get(`/api/v1/admin/messages/${id}/parts/1`);
    expect(part.status).toBe(200);
    expect(part.headers.get("content-type")).toBe("application/pdf");
    const disposition = part.headers.get("content-disposition") ?? "";
    expect(disposition).toMatch(/^attachment; filename="Rechnung Marz_.._\S*2026_.pdf"; filename\*=UTF-8''/);
    expect(disposition).not.toContain("/");
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(PDF))).toBe(true);
    expect((await get(`/api/v1/admin/messages/${id}/parts/2`)).status).toBe(404);
    expect((await get(`/api/v1/admin/messages/${id}/parts/x`)).status).toBe(400);
    expect((await get(`/api/v1/admin/messages/${newId()}`)).status).toBe(404);
  });

  it("answers 410 MESSAGE_RAW_PURGED for the raw source of a message retention purged", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store);
    const [id] = await store(
      mailboxId,
      [plain("old")],
      "INBOX",
      new Date(Date.now() - 100 * 86_400_000).toISOString(),
    );
    await purgeRawOlderThan(t.store, { before: new Date(Date.now() - 30 * 86_400_000) });
    const res = await get(`/api/v1/admin/messages/${id}/raw`);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("MESSAGE_RAW_PURGED");
    expect(await (await get(`/api/v1/admin/messages/${id}`)).json()).toMatchObject({
      rawPurged: true,
      parts: null,
    });
  });
});

describe("attachmentDisposition()", () => {
  it("never lets a filename carry a path, a quote or a line break into the header", () => {
    for (const name of ["../../etc/passwd", 'a"b\r\nSet-Cookie: x=1', "C:\\temp\\x.exe", "...", "", null]) {
      const value = attachmentDisposition(name, "part-1");
      expect(value).toMatch(/^attachment; filename="[^"/\\\r\n]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]*$/);
    }
    expect(attachmentDisposition("Grüße.txt", "x")).toBe(
      "attachment; filename=\"Gruße.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt".replace("Gruße", "Gru_e"),
    );
  });
});

describe("search input from anyone", () => {
  it("any text in any search field answers 200 or a 400 VALIDATION, never a server error", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store);
    await store(mailboxId, [multipart('He said "hi" AND NEAR(x) OR *', "a.pdf"), plain("ordinary")]);
    const field = fc.constantFrom("q", "from", "to", "subject", "folder", "cursor", "since", "until");
    const text = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom(
          '"',
          "*",
          "(",
          ")",
          ":",
          "^",
          "-",
          "+",
          "'",
          ";",
          " ",
          "a",
          "{",
          "}",
          "\\",
          "NEAR",
          "AND",
          "OR",
          "NOT",
        ),
        maxLength: 20,
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, text), { minLength: 1, maxLength: 3 }), async (pairs) => {
        const params = new URLSearchParams(pairs);
        const res = await get(`/api/v1/admin/mailboxes/${mailboxId}/messages?${params}`);
        if (res.status === 400) {
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
        } else {
          expect(res.status, params.toString()).toBe(200);
        }
      }),
      { numRuns: 300 },
    );
  });
});
