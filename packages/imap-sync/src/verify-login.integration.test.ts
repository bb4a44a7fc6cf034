import { freePorts } from "@mailreg/mailservers";
import { describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, trustTest } from "./_test-servers.ts";
import { verifyLogin } from "./verify-login.ts";

const dovecot = inject("mailservers").dovecot;

describe("verifyLogin() against Dovecot", () => {
  for (const protocol of ["imap", "pop3"] as const) {
    for (const security of ["starttls", "tls"] as const) {
      it(`accepts the right password over ${protocol.toUpperCase()} ${security}`, async () => {
        const user = freshUser(dovecot);
        const result = await verifyLogin(profileFor(dovecot, user, protocol, security), trustTest(dovecot));
        expect(result).toEqual({ ok: true });
      });
    }

    it(`says "auth" for a wrong ${protocol.toUpperCase()} password and never repeats it`, async () => {
      const user = freshUser(dovecot);
      const wrong = { ...user, password: "Wrong-Password-4711" };
      const result = await verifyLogin(profileFor(dovecot, wrong, protocol), trustTest(dovecot));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe("auth");
      expect(result.message).toContain(user.user);
      expect(result.message).not.toContain("Wrong-Password-4711");
    });

    it(`says "unreachable" for a closed ${protocol.toUpperCase()} port`, async () => {
      const user = freshUser(dovecot);
      const [closed] = await freePorts(1);
      const profile = { ...profileFor(dovecot, user, protocol), port: closed! };
      const result = await verifyLogin(profile, trustTest(dovecot));
      expect(result).toMatchObject({ ok: false, reason: "unreachable" });
    });

    for (const security of ["starttls", "tls"] as const) {
      it(`says "tls" when the ${protocol.toUpperCase()} ${security} certificate is not trusted`, async () => {
        const user = freshUser(dovecot);
        const result = await verifyLogin(profileFor(dovecot, user, protocol, security), { timeoutMs: 5_000 });
        expect(result).toMatchObject({ ok: false, reason: "tls" });
      });
    }
  }

  it('says "tls" when the certificate does not match the alternative name', async () => {
    const user = freshUser(dovecot);
    const result = await verifyLogin(profileFor(dovecot, user, "imap", "tls"), {
      tls: { ca: dovecot.caPem, servername: "mail.other.example" },
    });
    expect(result).toMatchObject({ ok: false, reason: "tls" });
  });

  it("logs in without a trusted certificate when verification is turned off", async () => {
    const user = freshUser(dovecot);
    const result = await verifyLogin(profileFor(dovecot, user, "imap", "tls"), {
      tls: { rejectUnauthorized: false },
    });
    expect(result).toEqual({ ok: true });
  });

  it('says "unreachable" within the timeout when the server accepts but never greets', async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const user = freshUser(dovecot);
      for (const protocol of ["imap", "pop3"] as const) {
        const started = Date.now();
        const result = await verifyLogin(
          { ...profileFor(dovecot, user, protocol, "none"), port },
          { timeoutMs: 500 },
        );
        expect(result).toMatchObject({ ok: false, reason: "unreachable" });
        expect(Date.now() - started).toBeLessThan(3_000);
      }
    } finally {
      silent.close();
    }
  });
});
