import { describe, expect, it } from "vitest";
import { decodeWords, parseAddressList, parseEnvelope } from "./envelope.ts";

const raw = (text: string) => new TextEncoder().encode(text);

describe("parseEnvelope()", () => {
  it("reads subject, addresses and Message-ID with encoded words decoded and folded lines joined", () => {
    const env = parseEnvelope(
      raw(
        [
          "Date: Tue, 24 Nov 2026 10:11:12 +0100 (CET)",
          "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.test>",
          'To: "Schmidt, Anna" <anna@kunde.example>, bob@example.test,',
          " =?UTF-8?B?546L6Iqz?= <wang@example.cn>",
          "Cc: Team: carol@example.test, dave@example.test;",
          "Subject: =?UTF-8?Q?Rechnung_f=C3=BCr?=",
          " =?UTF-8?Q?_Gr=C3=B6=C3=9Fe_XL?=",
          "Message-ID: <abc.123@mailreg.test>",
          "In-Reply-To: <prev@mailreg.test>",
          "",
          "Subject: not a header",
        ].join("\r\n"),
      ),
    );
    expect(env).toMatchObject({
      date: "2026-11-24T09:11:12.000Z",
      subject: "Rechnung für Größe XL",
      messageId: "abc.123@mailreg.test",
      inReplyTo: "prev@mailreg.test",
      from: [{ name: "Jürgen Müller", address: "juergen@example.test" }],
      to: [
        { name: "Schmidt, Anna", address: "anna@kunde.example" },
        { address: "bob@example.test" },
        { name: "王芳", address: "wang@example.cn" },
      ],
      cc: [{ address: "carol@example.test" }, { address: "dave@example.test" }],
      bcc: [],
    });
  });

  it("gives a message without a header block empty fields instead of failing", () => {
    expect(parseEnvelope(raw("no headers at all"))).toEqual({
      from: [],
      sender: [],
      replyTo: [],
      to: [],
      cc: [],
      bcc: [],
    });
  });

  it("leaves a word in an unknown charset as it was", () => {
    expect(decodeWords("=?x-unknown?Q?abc?=")).toBe("=?x-unknown?Q?abc?=");
    expect(decodeWords("=?ISO-8859-1?Q?Stra=DFe?=")).toBe("Straße");
  });

  it("reads an address with a comment as its name", () => {
    expect(parseAddressList("ann@example.org (Ann Example)")).toEqual([
      { name: "Ann Example", address: "ann@example.org" },
    ]);
  });
});
