import { attachDovecot, freePorts } from "@mailreg/mailservers";
import { listRegistrations } from "@mailreg/store";
import { afterEach, describe, expect, inject, it } from "vitest";
import { imapSyncChecks } from "./mail-checks.ts";
import { call, createTestApp, type TestApp } from "./testing.ts";

const dovecot = inject("mailservers").dovecot;
let t: TestApp;
afterEach(() => t?.close());

let n = 0;
function freshUser() {
  const user = `reg-${process.pid}-${++n}`;
  const password = `pw-${user}-Secret`;
  attachDovecot(dovecot).addUser(user, password);
  return { user, password };
}

async function appFor(
  template: { protocol: "imap" | "pop3"; port: number; security: "tls" | "starttls" },
  trust: boolean,
) {
  t = await createTestApp({
    config: {
      registration: { enabled: true, templates: ["dovecot"], verifyOnSubmit: true },
      servers: [
        {
          id: "dovecot",
          label: "Test Dovecot",
          host: dovecot.host,
          tls: { verify: true, servername: dovecot.servername },
          ...template,
        },
      ],
    },
    deps: { ...imapSyncChecks(trust ? { ca: dovecot.caPem } : {}), verifyTimeoutMs: 5_000 },
  });
}

const submit = (login: string, password: string) =>
  call(t.app, "POST", "/api/v1/registrations", {
    json: { address: `${login}@example.test`, login, password },
  });
const fieldOf = async (res: Response) =>
  (
    (await res.json()) as {
      error: { code: string; fields: Record<string, { code: string; message: string }> };
    }
  ).error;

describe("verify-on-submit against Dovecot", () => {
  it("accepts the right password over IMAPS and POP3 STARTTLS", async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, true);
    expect((await submit(user.user, user.password)).status).toBe(201);
    t.close();
    await appFor({ protocol: "pop3", port: dovecot.pop3Port, security: "starttls" }, true);
    expect((await submit(user.user, user.password)).status).toBe(201);
  });

  it('refuses a wrong password with "login refused" next to the password, storing nothing', async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapPort, security: "starttls" }, true);
    const res = await submit(user.user, "Wrong-Password-0815");
    expect(res.status).toBe(422);
    const error = await fieldOf(res);
    expect(error.code).toBe("MAIL_AUTH_FAILED");
    expect(error.fields.password?.message).toMatch(/^Login refused/);
    expect(await listRegistrations(t.store)).toEqual([]);
  });

  it('refuses a closed port with "not reachable"', async () => {
    const user = freshUser();
    const [closed] = await freePorts(1);
    await appFor({ protocol: "imap", port: closed!, security: "tls" }, true);
    const res = await submit(user.user, user.password);
    expect(res.status).toBe(422);
    const error = await fieldOf(res);
    expect(error.code).toBe("MAIL_CONNECTION_FAILED");
    expect(error.fields.template?.message).toMatch(/not reachable/);
  });

  it('refuses an untrusted certificate with "certificate not trusted"', async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, false);
    const error = await fieldOf(await submit(user.user, user.password));
    expect(error.code).toBe("MAIL_TLS_FAILED");
    expect(error.fields.template?.message).toMatch(/^Certificate not trusted/);
  });

  it("shows the refusal on the form, next to the password, in German", async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, true);
    const res = await call(t.app, "POST", "/register?lang=de", {
      form: { address: `${user.user}@example.test`, login: user.user, password: "falsch" },
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<span class="error-text" id="f-password-error">Anmeldung abgelehnt');
    expect(html).toContain(`value="${user.user}@example.test"`);
  });
});
