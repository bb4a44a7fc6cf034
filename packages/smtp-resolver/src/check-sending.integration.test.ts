import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SmtpSinkHandle, startSmtpSink, type TestCertificate } from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALT_NAME, altNameCertificate } from "../test/fixtures.ts";
import { checkSending } from "./check-sending.ts";
import { resolve, type SmtpSettingsInput } from "./resolve.ts";

let dir: string;
let cert: TestCertificate;
let sink: SmtpSinkHandle;
const users = [{ user: "ann@example.org", password: "ann-password" }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "smtp-check-"));
  cert = altNameCertificate(dir);
  sink = await startSmtpSink({ certificate: cert, users });
});
afterAll(async () => {
  await sink.stop();
  await rm(dir, { recursive: true, force: true });
});

const level = (): SmtpSettingsInput => ({
  host: "127.0.0.1",
  port: sink.port,
  security: "starttls",
  auth: { method: "cram-md5", user: "ann@example.org", password: "ann-password" },
  tls: { verify: true, servername: ALT_NAME },
});
const extras = () => ({ ca: cert.certPem, timeoutMs: 5000 });

describe("checkSending()", () => {
  it("reports resolve, connect, login and send, each with its time, and the test mail reaches the recipient", async () => {
    const check = await checkSending({
      resolution: resolve({ company: level() }),
      credentials: { method: "cram-md5", user: "ann@example.org", password: "ann-password" },
      from: "ann@example.org",
      to: "it@example.org",
      extras: extras(),
      confirmArrival: async (messageId) => sink.messages.some((m) => m.raw.includes(messageId)),
    });
    expect(check.ok).toBe(true);
    expect(check.steps.map((s) => [s.step, s.ok])).toEqual([
      ["resolve", true],
      ["connect", true],
      ["login", true],
      ["send", true],
      ["arrival", true],
    ]);
    expect(check.steps[1]?.detail).toBe(`Connected to 127.0.0.1:${sink.port}, encrypted (TLS)`);
    expect(check.steps[2]?.detail).toBe("Logged in as ann@example.org (CRAM-MD5)");
    expect(check.steps[3]?.detail).toMatch(/^Accepted for it@example\.org: 250 /);
    for (const s of check.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
    const received = sink.messages.find(
      (m) => check.messageId !== undefined && m.raw.includes(check.messageId),
    );
    expect(received).toMatchObject({
      rcptTo: ["it@example.org"],
      mailFrom: "ann@example.org",
      user: "ann@example.org",
    });
    expect(received?.raw).toContain("Subject: mailreg test message");
  });

  it("stops at the login with the server's answer when the password is wrong", async () => {
    const check = await checkSending({
      resolution: resolve({ company: level() }),
      credentials: { method: "plain", user: "ann@example.org", password: "not-it" },
      from: "ann@example.org",
      to: "it@example.org",
      extras: extras(),
    });
    expect(check.ok).toBe(false);
    expect(check.steps.map((s) => [s.step, s.ok])).toEqual([
      ["resolve", true],
      ["connect", true],
      ["login", false],
    ]);
    expect(check.steps[2]?.error?.code).toBe("MAIL_AUTH_FAILED");
    expect(check.steps[2]?.detail).toContain("535 5.7.8 Authentication failed");
    expect(JSON.stringify(check)).not.toContain("not-it");
  });

  it("stops at connect with 'not trusted' when the certificate is checked against the wrong name", async () => {
    const check = await checkSending({
      resolution: resolve({ company: { ...level(), tls: { verify: true } } }),
      credentials: { method: "none" },
      from: "ann@example.org",
      to: "it@example.org",
      extras: extras(),
    });
    expect(check.steps.map((s) => [s.step, s.ok])).toEqual([
      ["resolve", true],
      ["connect", false],
    ]);
    expect(check.steps[1]?.error?.code).toBe("MAIL_TLS_FAILED");
    expect(check.steps[1]?.detail).toContain("is not trusted");
  });

  it("reports the refused recipient at the send step", async () => {
    const refusing = await startSmtpSink({
      failWith: (e) => (e.stage === "rcpt" ? { code: 550, message: "5.1.1 No such user" } : undefined),
    });
    try {
      const check = await checkSending({
        resolution: resolve({ company: { host: "127.0.0.1", port: refusing.port } }),
        credentials: { method: "none" },
        from: "ann@example.org",
        to: "nobody@example.org",
      });
      expect(check.steps.at(-1)).toMatchObject({
        step: "send",
        ok: false,
        error: { code: "SMTP_PERMANENT" },
      });
      expect(check.steps.at(-1)?.detail).toContain("550 5.1.1 No such user");
    } finally {
      await refusing.stop();
    }
  });

  it("fails at resolve, naming every level, when no server is configured", async () => {
    const check = await checkSending({
      resolution: resolve({}),
      credentials: { method: "none" },
      from: "a@example.org",
      to: "b@example.org",
    });
    expect(check).toMatchObject({
      ok: false,
      steps: [{ step: "resolve", ok: false, error: { code: "SMTP_NOT_CONFIGURED" } }],
    });
    expect(check.steps[0]?.detail).toContain("default: smtp.default is not set");
  });
});
