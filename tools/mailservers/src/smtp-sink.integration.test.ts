import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificate, type TestCertificate } from "./cert.ts";
import { readSpool } from "./sink-spool.ts";
import { startSmtpSink } from "./smtp-sink.ts";

const dir = mkdtempSync(join(tmpdir(), "mailreg-sink-test-"));
let certificate: TestCertificate;
beforeAll(async () => {
  certificate = await createTestCertificate(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = { from: "sender@example.test", to: "rcpt@example.test", subject: "Prüfung", text: "Hallo" };

describe("startSmtpSink()", () => {
  it("keeps each accepted message with its envelope and raw source, and spools it", async () => {
    const spoolDir = join(dir, "spool");
    const sink = await startSmtpSink({ spoolDir });
    try {
      const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false });
      await transport.sendMail({ ...message, to: ["rcpt@example.test", "cc@example.test"] });
      const [received] = await sink.waitFor(1);
      expect(received).toMatchObject({
        id: 1,
        mailFrom: "sender@example.test",
        rcptTo: ["rcpt@example.test", "cc@example.test"],
        secure: false,
        user: undefined,
      });
      expect(received?.raw).toContain("Hallo");
      expect(readSpool(spoolDir)).toEqual([received]);
      sink.clear();
      expect(sink.messages).toHaveLength(0);
      expect(readSpool(spoolDir)).toHaveLength(0);
    } finally {
      await sink.stop();
    }
  });

  for (const authMethod of ["PLAIN", "LOGIN", "CRAM-MD5"]) {
    it(`accepts ${authMethod} login after STARTTLS with the test certificate and records the user`, async () => {
      const sink = await startSmtpSink({
        certificate,
        users: [{ user: "smtp-user", password: "smtp-password" }],
      });
      try {
        const transport = nodemailer.createTransport({
          host: sink.host,
          port: sink.port,
          secure: false,
          requireTLS: true,
          tls: { ca: certificate.certPem, servername: certificate.servername },
          auth: { user: "smtp-user", pass: "smtp-password" },
          authMethod,
        });
        await transport.sendMail(message);
        const [received] = await sink.waitFor(1);
        expect(received).toMatchObject({ user: "smtp-user", secure: true });
      } finally {
        await sink.stop();
      }
    });
  }

  it("refuses a wrong password and mail without login when users are set", async () => {
    const sink = await startSmtpSink({
      certificate,
      users: [{ user: "smtp-user", password: "smtp-password" }],
    });
    const tls = { ca: certificate.certPem, servername: certificate.servername };
    try {
      const wrong = nodemailer.createTransport({
        host: sink.host,
        port: sink.port,
        tls,
        auth: { user: "smtp-user", pass: "nope" },
      });
      await expect(wrong.sendMail(message)).rejects.toMatchObject({ code: "EAUTH", responseCode: 535 });
      const anonymous = nodemailer.createTransport({ host: sink.host, port: sink.port, tls });
      await expect(anonymous.sendMail(message)).rejects.toMatchObject({ responseCode: 530 });
      expect(sink.messages).toHaveLength(0);
    } finally {
      await sink.stop();
    }
  });

  it("serves implicit TLS that a client verifies against the test certificate", async () => {
    const sink = await startSmtpSink({ certificate, secure: true });
    try {
      const transport = nodemailer.createTransport({
        host: sink.host,
        port: sink.port,
        secure: true,
        tls: { ca: certificate.certPem, servername: certificate.servername },
      });
      await transport.sendMail(message);
      expect((await sink.waitFor(1))[0]?.secure).toBe(true);
      const untrusting = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: true });
      await expect(untrusting.sendMail(message)).rejects.toThrow(/certificate/i);
    } finally {
      await sink.stop();
    }
  });

  it("answers chosen recipients with the programmed 4xx or 5xx and accepts the rest", async () => {
    const sink = await startSmtpSink({
      failWith: (event) =>
        event.stage === "rcpt" && event.address === "busy@example.test"
          ? { code: 451, message: "4.2.0 Busy" }
          : undefined,
    });
    try {
      const transport = nodemailer.createTransport({ host: sink.host, port: sink.port });
      await expect(transport.sendMail({ ...message, to: "busy@example.test" })).rejects.toMatchObject({
        responseCode: 451,
      });
      const partial = await transport.sendMail({ ...message, to: ["busy@example.test", "ok@example.test"] });
      expect(partial.rejected).toEqual(["busy@example.test"]);
      expect(partial.accepted).toEqual(["ok@example.test"]);

      sink.failWith((event) =>
        event.stage === "data" ? { code: 554, message: "5.6.0 Refused" } : undefined,
      );
      await expect(transport.sendMail(message)).rejects.toMatchObject({ responseCode: 554 });
      sink.failWith(undefined);
      await transport.sendMail(message);
      expect(sink.messages.map((m) => m.rcptTo)).toEqual([["ok@example.test"], ["rcpt@example.test"]]);
    } finally {
      await sink.stop();
    }
  });

  it("waitFor() says how many messages arrived when the rest do not come in time", async () => {
    const sink = await startSmtpSink();
    try {
      await expect(sink.waitFor(1, 50)).rejects.toThrow("received 0 of 1 messages within 50 ms");
    } finally {
      await sink.stop();
    }
  });
});
