import { isMailregError } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { prepareMessage, toCrlf } from "./message.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("prepareMessage() with a raw message", () => {
  it("keeps a message that has a Message-ID and a Date byte for byte", async () => {
    const raw = new TextEncoder().encode(
      "Message-ID: <abc@example.org>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nFrom: Ann <ann@example.org>\r\nTo: bob@example.org\r\n\r\nGrüße\r\n",
    );
    const m = await prepareMessage({ raw }, "fallback@example.org");
    expect(m.messageId).toBe("<abc@example.org>");
    expect(m.raw).toBe(raw);
    expect(m.envelope).toEqual({ from: "ann@example.org", to: ["bob@example.org"] });
  });

  it("adds a Message-ID in the sender's domain and a Date at the top, body untouched", async () => {
    const m = await prepareMessage(
      { raw: "From: ann@example.org\r\nTo: bob@example.org\r\nSubject: Hi\r\n\r\nBody\r\n" },
      "x@y.z",
    );
    expect(m.messageId).toMatch(/^<[0-9a-f-]{36}@example\.org>$/);
    const out = text(m.raw);
    expect(out.startsWith(`Message-ID: ${m.messageId}\r\nDate: `)).toBe(true);
    expect(out.endsWith("From: ann@example.org\r\nTo: bob@example.org\r\nSubject: Hi\r\n\r\nBody\r\n")).toBe(
      true,
    );
  });

  it("gives two messages without Message-ID two different ones", async () => {
    const raw = "From: ann@example.org\r\nTo: bob@example.org\r\n\r\nx\r\n";
    const [a, b] = await Promise.all([prepareMessage({ raw }, "x@y.z"), prepareMessage({ raw }, "x@y.z")]);
    expect(a.messageId).not.toBe(b.messageId);
  });

  it("removes a (folded) Bcc header and keeps its addresses in the envelope only", async () => {
    const m = await prepareMessage(
      {
        raw: "Message-ID: <1@x>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nFrom: ann@example.org\r\nTo: Bob <bob@example.org>\r\nCc: carol@example.org, bob@example.org\r\nBcc: dave@example.org,\r\n  erin@example.org\r\nSubject: s\r\n\r\nb\r\n",
      },
      "x@y.z",
    );
    expect(text(m.raw)).not.toMatch(/bcc|dave|erin/i);
    expect(text(m.raw)).toContain("Cc: carol@example.org, bob@example.org\r\nSubject: s\r\n\r\nb\r\n");
    expect(m.envelope.to).toEqual([
      "bob@example.org",
      "carol@example.org",
      "dave@example.org",
      "erin@example.org",
    ]);
  });

  it("prefers the Sender header for MAIL FROM and turns LF line endings into CRLF", async () => {
    const m = await prepareMessage(
      { raw: "From: ann@example.org\nSender: secretary@example.org\nTo: bob@example.org\n\nx\ny\n" },
      "x@y.z",
    );
    expect(m.envelope.from).toBe("secretary@example.org");
    expect(text(m.raw)).toMatch(
      /^Message-ID: <[^>]+>\r\nDate: [^\r\n]+\r\nFrom: ann@example\.org\r\nSender: secretary@example\.org\r\nTo: bob@example\.org\r\n\r\nx\r\ny\r\n$/,
    );
  });

  it("composes CRLF throughout, also where the text has LF or CR line endings", async () => {
    const m = await prepareMessage(
      { message: { to: "bob@example.org", subject: "s", text: "one\ntwo\rthree\r\nfour\n" } },
      "ann@example.org",
    );
    expect(text(m.raw)).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
    expect(text(m.raw)).toContain("\r\n\r\none\r\ntwo\r\nthree\r\nfour\r\n");
  });

  it("toCrlf() changes only bare LF and CR, and returns a canonical message as it is", () => {
    const canonical = new TextEncoder().encode("a\r\nb\r\n");
    expect(toCrlf(canonical)).toBe(canonical);
    expect(text(toCrlf(new TextEncoder().encode("\na\rb\n\r\nc")))).toBe("\r\na\r\nb\r\n\r\nc");
  });

  it("uses a given envelope as is, and the fallback sender when the headers name none", async () => {
    const given = await prepareMessage(
      {
        raw: "To: bob@example.org\r\n\r\nx\r\n",
        envelope: { from: "bounce@example.org", to: ["zed@example.org"] },
      },
      "x@y.z",
    );
    expect(given.envelope).toEqual({ from: "bounce@example.org", to: ["zed@example.org"] });
    const fallback = await prepareMessage({ raw: "To: bob@example.org\r\n\r\nx\r\n" }, "ann@example.org");
    expect(fallback.envelope.from).toBe("ann@example.org");
  });

  it("keeps 8-bit body bytes exactly", async () => {
    const body = Uint8Array.from([0xe4, 0xf6, 0xfc, 0x0d, 0x0a]); // latin-1 "äöü", not valid UTF-8
    const header = new TextEncoder().encode("From: ann@example.org\r\nTo: bob@example.org\r\n\r\n");
    const raw = new Uint8Array([...header, ...body]);
    const m = await prepareMessage({ raw }, "x@y.z");
    expect(Array.from(m.raw.subarray(m.raw.length - body.length))).toEqual(Array.from(body));
  });

  it("refuses a message without recipients", async () => {
    await expect(prepareMessage({ raw: "From: ann@example.org\r\n\r\nx\r\n" }, "x@y.z")).rejects.toSatisfy(
      (e) => isMailregError(e, "VALIDATION"),
    );
  });
});

describe("prepareMessage() with fields", () => {
  it("composes MIME with the mailbox as sender, a Message-ID, and Bcc only in the envelope", async () => {
    const m = await prepareMessage(
      {
        message: {
          to: ["bob@example.org"],
          bcc: "dave@example.org",
          subject: "Grüße",
          text: "Hallo",
          attachments: [{ filename: "a.bin", content: Uint8Array.from([0, 1, 2, 255]) }],
        },
      },
      '"Ann Example" <ann@example.org>',
    );
    const out = text(m.raw);
    expect(m.messageId).toMatch(/@example\.org>$/);
    expect(out).toContain(`Message-ID: ${m.messageId}`);
    expect(out).toContain("From: Ann Example <ann@example.org>");
    expect(out).toContain("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=");
    expect(out).toContain("AAEC/w=="); // the attachment, base64
    expect(out).not.toContain("dave@example.org");
    expect(m.envelope).toEqual({ from: "ann@example.org", to: ["bob@example.org", "dave@example.org"] });
  });

  it("keeps a given Message-ID, so queuing the same message twice can be recognised", async () => {
    const m = await prepareMessage(
      { message: { to: "bob@example.org", text: "x", messageId: "<fixed@example.org>" } },
      "ann@example.org",
    );
    expect(m.messageId).toBe("<fixed@example.org>");
    expect(text(m.raw)).toContain("Message-ID: <fixed@example.org>");
  });
});
