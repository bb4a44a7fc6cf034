import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMailregError, type MailregError, type Security } from "@mailreg/core";
import { type SmtpSinkHandle, startSmtpSink, type TestCertificate } from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALT_NAME, altNameCertificate } from "../test/fixtures.ts";
import { Sender, type SendTarget } from "./sender.ts";

const users = [{ user: "sender", password: "sender-password" }];
const credentials = { method: "plain", user: "sender", password: "sender-password" } as const;
let dir: string;
let cert: TestCertificate;
let starttls: SmtpSinkHandle;
let implicit: SmtpSinkHandle;
let plain: SmtpSinkHandle;
let trusting: Sender;
let stranger: Sender;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "smtp-tls-"));
  cert = altNameCertificate(dir);
  starttls = await startSmtpSink({ certificate: cert, users });
  implicit = await startSmtpSink({ certificate: cert, users, secure: true });
  plain = await startSmtpSink({ users });
  trusting = new Sender({ ca: cert.certPem, timeoutMs: 5000 });
  stranger = new Sender({ timeoutMs: 5000 });
});

afterAll(async () => {
  trusting.close();
  stranger.close();
  await Promise.all([starttls.stop(), implicit.stop(), plain.stop()]);
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
function message() {
  const id = `<tls-${++counter}@mailreg.test>`;
  return {
    id,
    raw: `Message-ID: ${id}\r\nFrom: a@mailreg.test\r\nTo: b@mailreg.test\r\n\r\nhi\r\n`,
    envelope: { from: "a@mailreg.test", to: ["b@mailreg.test"] },
  };
}

async function refusal(sender: Sender, target: SendTarget): Promise<MailregError> {
  try {
    await sender.send(target, message());
  } catch (error) {
    if (isMailregError(error)) return error;
    throw error;
  }
  throw new Error("the send went through");
}

const LISTENERS: [string, () => SmtpSinkHandle, Security][] = [
  ["STARTTLS on a 587-like port", () => starttls, "starttls"],
  ["implicit TLS on a 465-like port", () => implicit, "tls"],
];

for (const [name, sink, security] of LISTENERS) {
  describe(`Sender over ${name} with a self-signed certificate`, () => {
    const target = (tls: SendTarget["settings"]["tls"]): SendTarget => ({
      settings: { host: "127.0.0.1", port: sink().port, security, tls },
      credentials,
    });

    it("sends when the certificate is trusted and checked against its alternative name", async () => {
      const m = message();
      const result = await trusting.send(target({ verify: true, servername: ALT_NAME }), m);
      expect(result.response).toMatch(/^250 /);
      const received = sink().messages.find((r) => r.raw.includes(m.id));
      expect(received).toMatchObject({ secure: true, user: "sender" });
    });

    it("refuses with 'certificate not trusted' when the alternative name is not given", async () => {
      const error = await refusal(trusting, target({ verify: true }));
      expect(error.code).toBe("MAIL_TLS_FAILED");
      expect(error.message).toMatch(
        /^The certificate of 127\.0\.0\.1:\d+ is not trusted: it is not issued for this name/,
      );
      expect(error.message).toContain("set the alternative name it carries (tls.servername)");
    });

    it("refuses with 'certificate not trusted' when its issuer is not trusted", async () => {
      const error = await refusal(stranger, target({ verify: true, servername: ALT_NAME }));
      expect(error.code).toBe("MAIL_TLS_FAILED");
      expect(error.message).toMatch(
        /^The certificate of 127\.0\.0\.1:\d+ is not trusted \(self-signed certificate\)/,
      );
    });

    it("sends with certificate checking turned off", async () => {
      const m = message();
      await stranger.send(target({ verify: false }), m);
      expect(sink().messages.some((r) => r.raw.includes(m.id) && r.secure)).toBe(true);
    });
  });
}

describe("Sender's security modes against servers that do not match", () => {
  it("fails when STARTTLS is required and the server does not offer it, sending nothing in clear", async () => {
    const before = plain.messages.length;
    const error = await refusal(trusting, {
      settings: { host: "127.0.0.1", port: plain.port, security: "starttls", tls: { verify: true } },
      credentials,
    });
    expect(error.code).toBe("MAIL_TLS_FAILED");
    expect(error.message).toMatch(/does not offer STARTTLS, which this security setting requires/);
    expect(plain.messages.length).toBe(before);
  });

  it("sends in clear on a non-standard port without explicit security when the server offers no STARTTLS (opportunistic)", async () => {
    const m = message();
    await trusting.send(
      { settings: { host: "127.0.0.1", port: plain.port, tls: { verify: true } }, credentials },
      m,
    );
    expect(plain.messages.find((r) => r.raw.includes(m.id))?.secure).toBe(false);
  });

  it("uses STARTTLS opportunistically when the server offers it", async () => {
    const m = message();
    await trusting.send(
      {
        settings: { host: "127.0.0.1", port: starttls.port, tls: { verify: true, servername: ALT_NAME } },
        credentials,
      },
      m,
    );
    expect(starttls.messages.find((r) => r.raw.includes(m.id))?.secure).toBe(true);
  });

  it("explains a TLS handshake against a STARTTLS port", async () => {
    const error = await refusal(trusting, {
      settings: { host: "127.0.0.1", port: starttls.port, security: "tls", tls: { verify: true } },
      credentials,
    });
    expect(error.code).toBe("MAIL_TLS_FAILED");
    expect(error.message).toContain("the port probably expects STARTTLS, not implicit TLS");
  });

  it("says a closed port could not be reached", async () => {
    const error = await refusal(trusting, {
      settings: { host: "127.0.0.1", port: 1, security: "starttls", tls: { verify: true } },
      credentials,
    });
    expect(error.code).toBe("MAIL_CONNECTION_FAILED");
    expect(error.message).toMatch(/^127\.0\.0\.1:1 could not be reached .*ECONNREFUSED/);
  });
});
