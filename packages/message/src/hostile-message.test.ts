import { isMailregError } from "@mailreg/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseMessage, readPart } from "./parse.ts";
import { safeHtml } from "./safe-html.ts";
import { SEARCH_TEXT_LIMIT, searchText } from "./search-text.ts";

// Hostile messages on the read side (anyone who can send mail to a collected mailbox controls
// these bytes): parseMessage answers with a result or a typed VALIDATION error, searchText never
// throws and stays within its limit, safeHtml leaves no script, each within a time bound.
// MAILREG_SOAK=1 runs 25 times as many generated messages.

const RUNS = process.env.MAILREG_SOAK === "1" ? 5_000 : 200;
const enc = new TextEncoder();
let tried = 0;
afterAll(() => console.log(`hostile messages parsed: ${tried}`));

async function parsed(raw: Uint8Array): Promise<"ok" | "refused"> {
  tried++;
  const started = performance.now();
  try {
    const message = await parseMessage(raw);
    for (const part of message.parts) expect(part.id).toMatch(/^[1-9]\d*$/);
    return "ok";
  } catch (error) {
    expect(isMailregError(error, "VALIDATION"), String(error)).toBe(true);
    return "refused";
  } finally {
    const text = await searchText(raw);
    expect(text.length).toBeLessThanOrEqual(SEARCH_TEXT_LIMIT);
    expect(performance.now() - started, "parse and index time").toBeLessThan(10_000);
  }
}

const multipart = (depth: number) => {
  let body = "Content-Type: text/plain\r\n\r\nthe bottom\r\n";
  for (let i = 0; i < depth; i++) {
    body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
  }
  return `Subject: deep\r\n${body}`;
};

describe("the message read side on hostile messages", () => {
  it("parses or refuses a corpus of nasty messages in bounded time", async () => {
    const corpus: [string, string | Uint8Array][] = [
      ["empty", ""],
      ["NUL only", "\0\0\0"],
      ["no header end", "Subject: x"],
      ["multipart nested 2,000 deep", multipart(2_000)],
      ["multipart nested 20,000 deep", multipart(20_000)],
      ["20 MiB text body", `Subject: big\r\n\r\n${"x".repeat(20 * 1024 * 1024)}`],
      ["one 4 MiB header line", `Subject: ${"y".repeat(4 * 1024 * 1024)}\r\n\r\nbody`],
      ["100,000 headers", `${"X-A: b\r\n".repeat(100_000)}\r\nbody`],
      [
        "a boundary that never closes",
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nopen',
      ],
      ["an empty boundary", 'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\nx\r\n----\r\n'],
      [
        "10,000 parts",
        `Content-Type: multipart/mixed; boundary="b"\r\n\r\n${'--b\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\nAQID\r\n'.repeat(10_000)}--b--\r\n`,
      ],
      [
        "broken base64",
        "Content-Type: application/pdf\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====####",
      ],
      [
        "broken quoted-printable",
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=0",
      ],
      ["unknown charset", "Content-Type: text/plain; charset=x-nonexistent\r\n\r\nhello"],
      ["UTF-7 charset", "Content-Type: text/plain; charset=utf-7\r\n\r\n+ADw-script+AD4-"],
      [
        "invalid UTF-8 body",
        Uint8Array.from([
          ...enc.encode("Content-Type: text/plain; charset=utf-8\r\n\r\n"),
          0xff,
          0xfe,
          0xc3,
          0x28,
        ]),
      ],
      ["encoded word bomb", `Subject: ${"=?UTF-8?B?w6Q=?=".repeat(200_000)}\r\n\r\nx`],
      [
        "filename with CR/LF and a path",
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; name="..%2F..%2Fetc%2Fpasswd"\r\nContent-Disposition: attachment; filename*=UTF-8\'\'..%2F..%2Fx%0D%0AContent-Type%3A%20text%2Fhtml\r\n\r\nx\r\n--b--\r\n',
      ],
      [
        "a Bcc smuggled in an encoded subject",
        "Subject: =?UTF-8?Q?Hi=0D=0ABcc:_victim@example.org?=\r\n\r\nx",
      ],
      [
        "HTML with scripts",
        'Content-Type: text/html\r\n\r\n<img src=x onerror=alert(1)><script>alert(2)</script><a href="javascript:alert(3)">x</a><svg><script>alert(4)</script></svg>',
      ],
    ];
    const outcomes: Record<string, string> = {};
    for (const [what, raw] of corpus)
      outcomes[what] = await parsed(typeof raw === "string" ? enc.encode(raw) : raw);
    console.log(`hostile message corpus: ${JSON.stringify(outcomes)}`);
    const html = await parseMessage(
      enc.encode(corpus.find(([w]) => w === "HTML with scripts")![1] as string),
    );
    const safe = safeHtml(html.html ?? "");
    expect(safe).not.toMatch(/<script|onerror|javascript:/i);
    await expect(readPart(enc.encode(multipart(3)), "__proto__")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(readPart(enc.encode(multipart(3)), "1e3")).rejects.toMatchObject({ code: "NOT_FOUND" });
  }, 120_000);

  it("parses or refuses arbitrary MIME structures built from hostile pieces", async () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "--b\r\n",
        "--b--\r\n",
        "Content-Type: multipart/mixed; boundary=b\r\n",
        'Content-Type: multipart/alternative; boundary="b"\r\n',
        "Content-Type: text/html\r\n",
        "Content-Type: message/rfc822\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "Content-Disposition: attachment; filename*=UTF-8''%FF%FE\r\n",
        "Subject: =?UTF-8?B?\r\n",
        "\r\n",
        "<script>x</script>",
        "=\r\n",
        "\0",
      ),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), async (pieces) => {
        const outcome = await parsed(enc.encode(pieces.join("")));
        if (outcome === "ok") {
          const message = await parseMessage(enc.encode(pieces.join("")));
          expect(safeHtml(message.html ?? "")).not.toMatch(/<script/i);
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
