import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage, readPart } from "./parse.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return (btoa(s).match(/.{1,76}/g) ?? [""]).join("\r\n");
};

/** multipart/mixed { multipart/alternative { text/plain (QP), text/html }, PDF (base64, RFC 2231 name), image (RFC 2047 name) }. */
const _mixed = (pdf: Uint8Array) =>
  enc(
    [
      "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.org>",
      "To: Bob <bob@example.com>, =?ISO-8859-1?Q?Ren=E9?= <rene@example.net>",
      "Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_M=C3=A4rz_=E2=82=AC?=",
      "Date: Wed, 25 Nov 2026 10:00:00 +0100",
      "Message-ID: <m1@example.org>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, die Rechnung liegt bei. Eine sehr lange Zeile, =",
      "die weich umbrochen ist.",
      "--inner",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Gr&uuml;&szlig;e</p>",
      "--inner--",
      "--outer",
      "Content-Type: application/pdf",
      "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      b64(pdf),
      "--outer",
      'Content-Type: image/png; name="=?UTF-8?Q?B=C3=BCro.png?="',
      "Content-Disposition: inline",
      "Content-ID: <img1@example.org>",
      "Content-Transfer-Encoding: base64",
      "",
      b64(new Uint8Array([137, 80, 78, 71])),
      "--outer--",
      "",
    ].join("\r\n"),
  );

describe("parseMessage", () => {
  it("decodes non-ASCII headers, the quoted-printable text part and lists both parts with their names", async () => {
    const m = await parseMessage(_mixed(new Uint8Array([1, 2, 3])));
    expect(m.subject).toBe("Rechnung für März €");
    expect(m.from).toEqual([{ name: "Jürgen Müller", address: "juergen@example.org" }]);
    expect(m.to.map((a) => a.name)).toEqual(["Bob", "René"]);
    expect(m.messageId).toBe("m1@example.org");
    expect(m.text).toContain(
      "Grüße aus Köln, die Rechnung liegt bei. Eine sehr lange Zeile, die weich umbrochen ist.",
    );
    expect(m.html).toContain("<p>Gr&uuml;&szlig;e</p>");
    expect(m.parts).toEqual([
      {
        id: "1",
        contentType: "application/pdf",
        filename: "Rechnung März.pdf",
        size: 3,
        disposition: "attachment",
        contentId: null,
      },
      {
        id: "2",
        contentType: "image/png",
        filename: "Büro.png",
        size: 4,
        disposition: "inline",
        contentId: "img1@example.org",
      },
    ]);
  });

  it("reads a message without MIME structure as its text", async () => {
    const m = await parseMessage(enc("Subject: plain\r\n\r\nJust text.\r\n"));
    expect(m.text?.trim()).toBe("Just text.");
    expect(m.parts).toEqual([]);
    expect(m.html).toBeNull();
  });
});

describe("readPart", () => {
  it("gives back any attachment's bytes exactly as they were before base64 encoding", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 3000 }), async (bytes) => {
        const { part, content } = await readPart(_mixed(bytes), "1");
        expect(part.filename).toBe("Rechnung März.pdf");
        expect(content).toEqual(bytes);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps a non-ASCII filename through RFC 2231 encoding", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
          .filter((s) => s.trim() === s && s.length > 0),
        async (name) => {
          const raw = enc(
            [
              'Content-Type: multipart/mixed; boundary="b"',
              "",
              "--b",
              "Content-Type: text/plain",
              "",
              "x",
              "--b",
              "Content-Type: application/octet-stream",
              `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
              "",
              "data",
              "--b--",
            ].join("\r\n"),
          );
          const { part } = await readPart(raw, "1");
          expect(part.filename).toBe(name);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses a part id the message does not have", async () => {
    const raw = _mixed(new Uint8Array([1]));
    for (const id of ["0", "3", "x", "1.1", ""]) {
      await expect(readPart(raw, id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
  });
});
