import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";
import { describe, expect, inject, it } from "vitest";
import { addPasswdUser } from "./passwd-file.ts";
import { waitForSpool } from "./sink-spool.ts";

const { dovecot, smtpSink } = inject("mailservers");

describe("Dovecot submission relaying to the shared SMTP sink", () => {
  it("delivers a message sent with nodemailer over STARTTLS to the sink, envelope and body intact", async () => {
    const user = `sub-${process.pid}@example.test`;
    const password = "submission-password";
    addPasswdUser(dovecot.passwdDir, { user, password });
    const to = `rcpt-${randomUUID()}@example.test`;
    const transport = nodemailer.createTransport({
      host: dovecot.host,
      port: dovecot.submissionPort,
      secure: false,
      requireTLS: true,
      tls: { ca: dovecot.caPem, servername: dovecot.servername },
      auth: { user, pass: password },
    });
    const info = await transport.sendMail({
      from: user,
      to,
      subject: "Grüße aus der Submission",
      text: "Hallo Welt – über Dovecot submission.",
    });
    transport.close();
    expect(info.accepted).toEqual([to]);
    const [received] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
    expect(received?.mailFrom).toBe(user);
    expect(received?.raw).toContain("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_der_Submission?=");
  });

  it("passes the sink's refusal of a recipient back to the sender", async () => {
    const user = `sub-reject-${process.pid}@example.test`;
    addPasswdUser(dovecot.passwdDir, { user, password: "submission-password" });
    const transport = nodemailer.createTransport({
      host: dovecot.host,
      port: dovecot.submissionPort,
      secure: false,
      tls: { ca: dovecot.caPem, servername: dovecot.servername },
      auth: { user, pass: "submission-password" },
    });
    await expect(
      transport.sendMail({ from: user, to: "reject-550@example.test", subject: "x", text: "x" }),
    ).rejects.toMatchObject({ responseCode: 550 });
    transport.close();
  });
});
