import type { Routing, RoutingMatch } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { parseEnvelope } from "./envelope.ts";
import {
  hasAttachment,
  matchesRule,
  type RoutableMessage,
  routeMessage,
  routingForMailbox,
} from "./routing.ts";

function message(header: string, body = "hello\r\n", folder = "INBOX"): RoutableMessage {
  const raw = new TextEncoder().encode(`${header.trim().replace(/\n/g, "\r\n")}\r\n\r\n${body}`);
  return { folder, raw, size: raw.length, envelope: parseEnvelope(raw) };
}

const plain = message(
  `From: "Jürgen" <Juergen.Weber@Orders.Example>
To: sales@example.org
Cc: =?UTF-8?Q?B=C3=BCro?= <office@example.org>
Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_M=C3=A4rz?= INVOICE 42
X-Priority: 1 (Highest)
X-Tag: =?UTF-8?Q?gr=C3=BCn?=`,
);

const withPdf = message(
  `From: a@b.example
Subject: files
Content-Type: multipart/mixed; boundary="b1"`,
  `--b1\r
Content-Type: text/plain; charset=utf-8\r
\r
see attached\r
--b1\r
Content-Type: application/pdf;\r
 name="report.pdf"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQ=\r
--b1--\r
`,
);

const alternative = message(
  `From: a@b.example
Content-Type: multipart/alternative; boundary=x`,
  `--x\r
Content-Type: text/plain; charset=utf-8\r
\r
Content-Type: application/pdf; name=not-a-header-here-it-is-indented\r
--x\r
Content-Type: text/html; name=body.html\r
\r
<p>hi</p>\r
--x--\r
`,
);

const match = (m: RoutingMatch, msg: RoutableMessage = plain) => matchesRule(m, msg);

describe("matchesRule()", () => {
  it("an empty match matches every message", () => {
    expect(match({})).toBe(true);
  });

  it("from matches an address or a domain, whatever the case", () => {
    expect(match({ from: "juergen.weber@orders.example" })).toBe(true);
    expect(match({ from: "JUERGEN.WEBER@ORDERS.EXAMPLE" })).toBe(true);
    expect(match({ from: "@orders.example" })).toBe(true);
    expect(match({ from: "@example" })).toBe(false);
    expect(match({ from: "weber@orders.example" })).toBe(false);
    expect(match({ from: "sales@example.org" })).toBe(false);
  });

  it("to matches To and Cc, not From", () => {
    expect(match({ to: "Sales@Example.org" })).toBe(true);
    expect(match({ to: "office@example.org" })).toBe(true);
    expect(match({ to: "@example.org" })).toBe(true);
    expect(match({ to: "juergen.weber@orders.example" })).toBe(false);
  });

  it("subject matches a case-insensitive part of the decoded subject", () => {
    expect(match({ subject: "invoice" })).toBe(true);
    expect(match({ subject: "rechnung für MÄRZ" })).toBe(true);
    expect(match({ subject: "receipt" })).toBe(false);
    expect(match({ subject: "x" }, message("From: a@b.example"))).toBe(false);
  });

  it("header matches by name in any case, a decoded value part, or presence alone", () => {
    expect(match({ header: { name: "x-priority", value: "highest" } })).toBe(true);
    expect(match({ header: { name: "X-PRIORITY" } })).toBe(true);
    expect(match({ header: { name: "X-Tag", value: "GRÜN" } })).toBe(true);
    expect(match({ header: { name: "X-Priority", value: "5" } })).toBe(false);
    expect(match({ header: { name: "X-Spam-Flag" } })).toBe(false);
  });

  it("minSize and maxSize bound the size, inclusive", () => {
    expect(match({ minSize: plain.size, maxSize: plain.size })).toBe(true);
    expect(match({ minSize: plain.size + 1 })).toBe(false);
    expect(match({ maxSize: plain.size - 1 })).toBe(false);
  });

  it("folder matches exactly (INBOX in any case) or a folder and everything under it with *", () => {
    const orders = message("From: a@b.example", "x", "INBOX/Orders/2026");
    expect(match({ folder: "INBOX/Orders/2026" }, orders)).toBe(true);
    expect(match({ folder: "inbox/Orders/2026" }, orders)).toBe(true);
    expect(match({ folder: "INBOX/orders/2026" }, orders)).toBe(false);
    expect(match({ folder: "INBOX/Orders/*" }, orders)).toBe(true);
    expect(match({ folder: "INBOX/Orders/*" }, message("From: a@b.example", "x", "INBOX/Orders"))).toBe(true);
    expect(match({ folder: "INBOX/Orders/*" }, message("From: a@b.example", "x", "INBOX/OrdersOld"))).toBe(
      false,
    );
    expect(match({ folder: "INBOX" }, orders)).toBe(false);
    expect(match({ folder: "Sent" })).toBe(false);
  });

  it("every given field must match", () => {
    expect(match({ from: "@orders.example", subject: "invoice", to: "sales@example.org" })).toBe(true);
    expect(match({ from: "@orders.example", subject: "receipt" })).toBe(false);
  });

  it("hasAttachment tells a message with a named file part from one without", () => {
    expect(match({ hasAttachment: true }, withPdf)).toBe(true);
    expect(match({ hasAttachment: false }, withPdf)).toBe(false);
    expect(match({ hasAttachment: false })).toBe(true);
    expect(match({ hasAttachment: true })).toBe(false);
  });
});

describe("hasAttachment()", () => {
  it("finds Content-Disposition attachment, a filename, a named non-text part and an attached message", () => {
    const part = (headers: string) =>
      message(
        "Content-Type: multipart/mixed; boundary=z",
        `--z\r\nContent-Type: text/plain\r\n\r\nhi\r\n--z\r\n${headers}\r\n\r\ndata\r\n--z--\r\n`,
      ).raw;
    expect(hasAttachment(part("Content-Type: text/plain\r\nContent-Disposition: attachment"))).toBe(true);
    expect(
      hasAttachment(part("Content-Type: image/png\r\nContent-Disposition: inline; filename=a.png")),
    ).toBe(true);
    expect(hasAttachment(part("Content-Type: application/octet-stream;\r\n\tname*0=long; name*1=.bin"))).toBe(
      true,
    );
    expect(hasAttachment(part("Content-Type: message/rfc822"))).toBe(true);
    expect(hasAttachment(part("Content-Type: text/html; charset=utf-8"))).toBe(false);
  });

  it("is false for text alternatives, even named ones or ones that quote a header inside a body line", () => {
    expect(hasAttachment(alternative.raw)).toBe(false);
  });

  it("a single-part message counts only by its own header, not by what its body says", () => {
    expect(hasAttachment(message("Content-Type: application/pdf; name=a.pdf", "JVBERi0=").raw)).toBe(true);
    expect(
      hasAttachment(
        message("Content-Type: text/plain", "Content-Disposition: attachment; filename=x\r\n").raw,
      ),
    ).toBe(false);
  });
});

describe("routeMessage()", () => {
  const routing: Routing = {
    rules: [
      { match: { from: "@spam.example" }, action: "drop" },
      { match: { subject: "invoice" }, sinks: ["crm"] },
      { match: { from: "@orders.example" }, sinks: ["archive", "crm"] },
    ],
    default: ["archive"],
  };
  const all = ["archive", "crm", "other"];

  it("the first matching rule wins, in order", () => {
    expect(routeMessage(routing, plain, all)).toEqual({ sinks: ["crm"], rule: 1, drop: false });
    const swapped: Routing = { ...routing, rules: [routing.rules[0]!, routing.rules[2]!, routing.rules[1]!] };
    expect(routeMessage(swapped, plain, all)).toEqual({ sinks: ["archive", "crm"], rule: 1, drop: false });
  });

  it("a drop rule sends the message to no sink", () => {
    expect(routeMessage(routing, message("From: x@SPAM.example\nSubject: invoice"), all)).toEqual({
      sinks: [],
      rule: 0,
      drop: true,
    });
  });

  it("a message no rule matches goes to the default, or to every sink when there is none", () => {
    const other = message("From: someone@else.example\nSubject: hi");
    expect(routeMessage(routing, other, all)).toEqual({ sinks: ["archive"], rule: null, drop: false });
    expect(routeMessage({ rules: routing.rules }, other, all)).toEqual({
      sinks: all,
      rule: null,
      drop: false,
    });
    expect(routeMessage({ rules: [], default: [] }, other, all).sinks).toEqual([]);
  });

  it("without routing every message goes to every sink", () => {
    expect(routeMessage(undefined, plain, all)).toEqual({ sinks: all, rule: null, drop: false });
  });
});

describe("mailbox-level rules", () => {
  const routing: Routing = {
    rules: [
      { match: { mailbox: "Orders@Example.org", subject: "invoice" }, sinks: ["crm"] },
      { match: { mailbox: "@support.example.org" }, action: "drop" },
      { match: {}, sinks: ["archive"] },
    ],
  };

  it("a mailbox gets the instance-wide rules and its own, in order; another mailbox's rules are left out", () => {
    expect(routingForMailbox(routing, "orders@example.org")?.rules).toEqual([
      { match: { subject: "invoice" }, sinks: ["crm"] },
      { match: {}, sinks: ["archive"] },
    ]);
    expect(routingForMailbox(routing, "desk@support.example.org")?.rules).toEqual([
      { match: {}, action: "drop" },
      { match: {}, sinks: ["archive"] },
    ]);
    expect(routingForMailbox(routing, "info@example.org")?.rules).toEqual([
      { match: {}, sinks: ["archive"] },
    ]);
    expect(routingForMailbox(undefined, "info@example.org")).toBeUndefined();
  });

  it("a rule naming a mailbox matches only a message collected from it", () => {
    const sinks = ["crm", "archive"];
    expect(routeMessage(routing, { ...plain, mailbox: "orders@example.org" }, sinks).sinks).toEqual(["crm"]);
    expect(routeMessage(routing, { ...plain, mailbox: "info@example.org" }, sinks).sinks).toEqual([
      "archive",
    ]);
    expect(routeMessage(routing, plain, sinks).sinks).toEqual(["archive"]);
  });
});
