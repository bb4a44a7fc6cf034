import { randomUUID } from "node:crypto";
import { isMailregError, type MailregError } from "@mailreg/core";
import { waitForSpool } from "@mailreg/mailservers";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { SmtpCredentials } from "./credentials.ts";
import { Sender, type SendTarget } from "./sender.ts";

const { smtpSink, dovecot, oauth } = inject("mailservers");
const sender = new Sender({ ca: dovecot.caPem, timeoutMs: 5000 });
afterAll(() => sender.close());

const sinkUser = smtpSink.users[0]!;
const tls = { verify: true, servername: dovecot.servername };
const toSink = (credentials: SmtpCredentials): SendTarget => ({
  settings: { host: smtpSink.host, port: smtpSink.port, security: "starttls", tls },
  credentials,
});

function message(to: string) {
  const id = `<auth-${randomUUID()}@mailreg.test>`;
  return {
    id,
    raw: `Message-ID: ${id}\r\nFrom: a@mailreg.test\r\nTo: ${to}\r\nSubject: auth\r\n\r\nhi\r\n`,
    envelope: { from: "a@mailreg.test", to: [to] },
  };
}

describe("Sender logins against the SMTP sink", () => {
  for (const method of ["plain", "login", "cram-md5"] as const) {
    it(`logs in with ${method.toUpperCase()} and delivers`, async () => {
      const to = `${method}-${randomUUID()}@example.test`;
      await sender.send(toSink({ method, user: sinkUser.user, password: sinkUser.password }), message(to));
      const [received] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
      expect(received?.user).toBe(sinkUser.user);
    });
  }

  it("refuses wrong credentials with the server's answer, and never repeats the password", async () => {
    const password = "wrong-password-1234";
    let error: MailregError | undefined;
    try {
      await sender.send(
        toSink({ method: "plain", user: sinkUser.user, password }),
        message("nobody@example.test"),
      );
    } catch (e) {
      if (isMailregError(e)) error = e;
    }
    expect(error?.code).toBe("MAIL_AUTH_FAILED");
    expect(error?.message).toBe(
      `${smtpSink.host}:${smtpSink.port} refused the login of ${sinkUser.user}: 535 5.7.8 Authentication failed`,
    );
    expect(error?.details).toMatchObject({
      response: "535 5.7.8 Authentication failed",
      responseCode: 535,
      command: "AUTH PLAIN",
    });
    const everything = JSON.stringify({
      json: error?.toJSON(),
      cause: String(error?.cause),
      stack: error?.stack,
    });
    expect(everything).not.toContain(password);
  });
});

describe("Sender with XOAUTH2 through Dovecot submission (tokens from the OAuth provider)", () => {
  const user = `xoauth2-${process.pid}@example.test`;
  async function token(): Promise<string> {
    const response = await fetch(oauth.tokenEndpoint, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", email: user }),
    });
    return String(((await response.json()) as { access_token: string }).access_token);
  }
  const submission = (accessToken: (renew: boolean) => Promise<string>): SendTarget => ({
    settings: { host: dovecot.host, port: dovecot.submissionPort!, security: "starttls", tls },
    credentials: { method: "xoauth2", user, accessToken },
  });

  it("logs in with the token source's access token and the message reaches the relay", async () => {
    const to = `oauth-rcpt-${randomUUID()}@example.test`;
    await sender.send(
      submission(() => token()),
      { ...message(to), envelope: { from: user, to: [to] } },
    );
    const [received] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
    expect(received?.mailFrom).toBe(user);
  });

  it("asks the token source for a new token when the server refuses the cached one", async () => {
    const asked: boolean[] = [];
    const to = `oauth-renew-${randomUUID()}@example.test`;
    const source = async (renew: boolean) => {
      asked.push(renew);
      return renew ? await token() : "expired-or-revoked-token";
    };
    const renewing = new Sender({ ca: dovecot.caPem, timeoutMs: 5000 });
    try {
      await renewing.send(submission(source), { ...message(to), envelope: { from: user, to: [to] } });
    } finally {
      renewing.close();
    }
    expect(asked).toEqual([false, true]);
    await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
  });

  it("reports a refused token as MAIL_AUTH_FAILED", async () => {
    const refusing = new Sender({ ca: dovecot.caPem, timeoutMs: 5000 });
    try {
      await expect(
        refusing.send(
          submission(async () => "not-a-token"),
          message("x@example.test"),
        ),
      ).rejects.toMatchObject({
        code: "MAIL_AUTH_FAILED",
      });
    } finally {
      refusing.close();
    }
  });
});
