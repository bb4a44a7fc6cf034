import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Envelope, parseEnvelope } from "./envelope.ts";

// Hostile messages: anyone who can send mail to a collected mailbox controls these bytes.
const RUNS = process.env.MAILREG_SOAK === "1" ? 20_000 : 400;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const enc = new TextEncoder();
let tried = 0;
afterAll(() => console.log(`envelope fuzz: ${tried} hostile messages parsed`));

function _strings(env: Envelope): string[] {
  const out = [env.date, env.subject, env.messageId, env.inReplyTo];
  for (const list of [env.from, env.sender, env.replyTo, env.to, env.cc, env.bcc])
    for (const a of list) out.push(a.name, a.address);
  return out.filter((s): s is string => s !== undefined);
}

/** Parses and checks what every envelope must satisfy, whatever the input. */
function _parseChecked(raw: Uint8Array): Envelope {
  tried++;
  const env = parseEnvelope(raw);
  for (const s of _strings(env)) expect(s).not.toMatch(CONTROL);
  if (env.date !== undefined) expect(new Date(env.date).toISOString()).toBe(env.date);
  return env;
}

const headerName = fc.constantFrom(
  "From",
  "To",
  "Cc",
  "Bcc",
  "Reply-To",
  "Sender",
  "Subject",
  "Date",
  "Message-ID",
  "In-Reply-To",
  "X-Other",
);
const nasty = fc.constantFrom(
  "\r\n",
  "\n",
  "\r",
  "\0",
  "<",
  ">",
  '"',
  "(",
  ")",
  ",",
  ":",
  ";",
  "@",
  "=?",
  "?=",
);
const value = fc
  .array(fc.oneof(fc.string({ maxLength: 20 }), nasty, fc.string({ unit: "binary", maxLength: 8 })), {
    maxLength: 30,
  })
  .map((parts) => parts.join(""));

describe("parseEnvelope() on hostile messages", () => {
  it("never throws and returns no control character or line break, for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        _parseChecked(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps CR, LF and NUL out of every field, raw or decoded from encoded words", () => {
    const encoded = fc
      .tuple(fc.string({ unit: "binary", maxLength: 40 }), fc.boolean())
      .map(([text, b64]) => {
        const bytes = enc.encode(text);
        const payload = b64
          ? btoa(String.fromCharCode(...bytes))
          : [...bytes].map((x) => `=${x.toString(16).padStart(2, "0").toUpperCase()}`).join("");
        return `=?UTF-8?${b64 ? "B" : "Q"}?${payload}?=`;
      });
    const header = fc.tuple(headerName, fc.oneof(value, encoded)).map(([n, v]) => `${n}: ${v}`);
    fc.assert(
      fc.property(fc.array(header, { maxLength: 12 }), fc.constantFrom("\r\n", "\n"), (headers, eol) => {
        _parseChecked(enc.encode(`${headers.join(eol)}${eol}${eol}body`));
      }),
      { numRuns: RUNS },
    );
  });

  it("decodes a Bcc or CRLF smuggled in an encoded subject into one harmless line", () => {
    const env = _parseChecked(
      enc.encode("Subject: =?UTF-8?Q?Hi=0D=0ABcc:_victim@example.org=00?=\r\nFrom: a\0b <x@y>\r\n\r\n"),
    );
    expect(env.subject).toBe("Hi  Bcc: victim@example.org ");
    expect(env.bcc).toEqual([]);
    expect(env.from).toEqual([{ name: "a b", address: "x@y" }]);
    // an address followed by a comment (found by the soak run: its NUL went through)
    expect(_parseChecked(enc.encode("From: a@b\0c (Eve)\r\n\r\n")).from).toEqual([
      { name: "Eve", address: "a@b c" },
    ]);
  });

  it("parses a 256 KiB header built to make regular expressions backtrack in linear time", () => {
    const n = 256 * 1024;
    const cases = [
      `To: ${"<".repeat(n)}`,
      `From: ${"@".repeat(n)}`,
      `Cc: ${"a@b (".repeat(n / 5)}`,
      `Message-ID: ${"<".repeat(n)}`,
      `In-Reply-To: ${"<>".repeat(n / 2)}`,
      `Date: ${"(".repeat(n)})x)`,
      `Subject: ${"=?".repeat(n / 2)}`,
      `Subject: ${"=?a?B?".repeat(n / 6)}`,
      "s\n".repeat(n / 2),
      `To: ${'"'.repeat(n)}`,
      `To: ${",".repeat(n)}`,
      `Subject: x${"\r\n ".repeat(n / 3)}`,
    ];
    for (const header of cases) {
      const started = performance.now();
      _parseChecked(enc.encode(`${header}\r\n\r\n`));
      const ms = performance.now() - started;
      expect(ms, header.slice(0, 20)).toBeLessThan(1_000);
    }
  });
});
