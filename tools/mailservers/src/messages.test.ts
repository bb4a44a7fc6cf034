import { describe, expect, it } from "vitest";
import { generateMessages } from "./messages.ts";

const decoder = new TextDecoder();

function subjectHeader(raw: string): string {
  const match = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw);
  return (match?.[1] ?? "").replaceAll("\r\n", "");
}

/** Decodes base64 RFC 2047 words; whitespace between adjacent encoded words is dropped. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) =>
      decoder.decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))),
    );
}

describe("generateMessages()", () => {
  it("gives the same messages for the same seed and different ones for another seed", () => {
    const a = [...generateMessages({ count: 50, seed: 5 })].map((m) => m.raw);
    const b = [...generateMessages({ count: 50, seed: 5 })].map((m) => m.raw);
    const c = [...generateMessages({ count: 50, seed: 6 })].map((m) => m.raw);
    expect(a).toEqual(b);
    expect(c.filter((raw, i) => raw === a[i])).toHaveLength(0);
  });

  it("keeps sizes in the requested range, with `size` the byte length of the CRLF source", () => {
    const messages = [...generateMessages({ count: 300, seed: 2, minSize: 2_000, maxSize: 9_000 })];
    for (const m of messages) {
      expect(m.size).toBe(new TextEncoder().encode(m.raw).length);
      expect(m.size).toBeGreaterThanOrEqual(1_998);
      expect(m.size).toBeLessThanOrEqual(9_000);
      expect(m.raw).not.toMatch(/[^\r]\n/);
    }
    const sizes = messages.map((m) => m.size);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeGreaterThan(5_000);
  });

  it("encodes non-ASCII subjects and sender names as RFC 2047 words that decode to the original", () => {
    const messages = [...generateMessages({ count: 200, seed: 9 })];
    const nonAscii = messages.filter((m) => /[^\x20-\x7e]/.test(m.subject));
    expect(nonAscii.length).toBeGreaterThan(20);
    for (const m of messages) {
      const header = subjectHeader(m.raw);
      expect(header).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeWords(header)).toBe(m.subject);
    }
    expect(messages.some((m) => /^From: =\?UTF-8\?B\?/m.test(m.raw))).toBe(true);
  });

  it("makes about the requested share multipart with a base64 attachment", () => {
    const messages = [...generateMessages({ count: 1_000, seed: 4, attachmentShare: 0.3 })];
    const withAttachment = messages.filter((m) => m.hasAttachment);
    expect(withAttachment.length).toBeGreaterThan(250);
    expect(withAttachment.length).toBeLessThan(350);
    for (const m of withAttachment.slice(0, 20)) {
      expect(m.raw).toMatch(/^Content-Type: multipart\/mixed; boundary="/m);
      expect(m.raw).toMatch(/^Content-Disposition: attachment; filename\*?=/m);
      const part = m.raw.split("Content-Transfer-Encoding: base64\r\n")[1] ?? "";
      const base64 = part.slice(part.indexOf("\r\n\r\n") + 4, part.indexOf("\r\n--"));
      expect(base64.length).toBeGreaterThan(70);
      expect(base64.split("\r\n").every((line) => line.length === 76)).toBe(true);
      expect(() => atob(base64.replace(/\s/g, ""))).not.toThrow();
    }
  });

  it("gives increasing arrival dates, a little after each Date header, and plausible flags", () => {
    const messages = [...generateMessages({ count: 500, seed: 8 })];
    for (let i = 1; i < messages.length; i++) {
      expect(messages[i]!.internalDate.getTime()).toBeGreaterThan(messages[i - 1]!.internalDate.getTime());
    }
    const seen = messages.filter((m) => m.flags.includes("\\Seen")).length;
    expect(seen).toBeGreaterThan(300);
    expect(seen).toBeLessThan(450);
  });
});
