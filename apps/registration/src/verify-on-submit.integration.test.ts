import { attachDovecot, freePorts } from "@mailreg/mailservers";
import { listAudit, listRegistrations } from "@mailreg/store";
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

describe("verify-on-submit against Dovecot", () => {
  it("accepts the right password over IMAPS and POP3 STARTTLS", async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, true);
    expect((await submit(user.user, user.password)).status).toBe(201);
    t.close();
    await appFor({ protocol: "pop3", port: dovecot.pop3Port, security: "starttls" }, true);
    expect((await submit(user.user, user.password)).status).toBe(201);
  });

  it("answers a wrong password, a closed port and an untrusted certificate alike, storing nothing; the audit log says which", async () => {
    const user = freshUser();
    const [closed] = await freePorts(1);
    const cases = [
      [
        { protocol: "imap", port: dovecot.imapPort, security: "starttls" },
        true,
        "Wrong-Password-0815",
        "auth",
      ],
      [{ protocol: "imap", port: closed!, security: "tls" }, true, user.password, "unreachable"],
      [{ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, false, user.password, "tls"],
    ] as const;
    const bodies: string[] = [];
    for (const [template, trust, password, reason] of cases) {
      await appFor(template, trust);
      const res = await submit(user.user, password);
      expect(res.status).toBe(422);
      bodies.push(await res.text());
      expect(await listRegistrations(t.store)).toEqual([]);
      const [entry] = await listAudit(t.store, { limit: 1 });
      expect(entry).toMatchObject({ action: "registration.verify-refused", details: { reason } });
      expect(JSON.stringify(entry)).not.toContain(password);
      t.close();
    }
    expect(new Set(bodies).size).toBe(1);
    const { error } = JSON.parse(bodies[0]!) as {
      error: { code: string; fields: Record<string, { message: string }> };
    };
    expect(error.code).toBe("MAIL_SIGN_IN_FAILED");
    expect(error.fields.password?.message).toMatch(/^Signing in did not work/);
  });

  it("shows the refusal on the form, next to the password, in German", async () => {
    const user = freshUser();
    await appFor({ protocol: "imap", port: dovecot.imapsPort, security: "tls" }, true);
    const res = await call(t.app, "POST", "/register?lang=de", {
      form: { address: `${user.user}@example.test`, login: user.user, password: "falsch" },
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain(
      '<span class="error-text" id="f-password-error">Die Anmeldung hat nicht funktioniert',
    );
    expect(html).toContain(`value="${user.user}@example.test"`);
  });
});
