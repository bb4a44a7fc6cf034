// Sending with XOAUTH2: nodemailer logs in to the SMTP sink with an access token of the OAuth
// provider (oauth2-mock-server); the sink checks it against the provider's JWKS with jose.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestCertificate, type TestCertificate } from "./cert.ts";
import { type OAuthProviderHandle, startOAuthProvider } from "./oauth-provider.ts";
import { waitForSpool } from "./sink-spool.ts";
import { type SmtpSinkHandle, startSmtpSink } from "./smtp-sink.ts";
import { jwksTokenVerifier } from "./xoauth2-verifier.ts";

const dir = mkdtempSync(join(tmpdir(), "mailreg-xoauth2-test-"));
const user = "ann@example.test";
let certificate: TestCertificate;
let provider: OAuthProviderHandle;
let sink: SmtpSinkHandle;

beforeAll(async () => {
  certificate = await createTestCertificate(dir);
  provider = await startOAuthProvider();
  sink = await startSmtpSink({
    certificate,
    verifyAccessToken: jwksTokenVerifier({ issuer: provider.issuer, jwksUri: provider.jwksUri }),
  });
});
afterAll(async () => {
  await Promise.all([sink?.stop(), provider?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Sends one message as `login` with `accessToken` (XOAUTH2 after STARTTLS). */
function send(login: string, accessToken: string, subject: string) {
  const transport = nodemailer.createTransport({
    host: sink.host,
    port: sink.port,
    secure: false,
    requireTLS: true,
    tls: { ca: certificate.certPem, servername: certificate.servername },
    auth: { type: "OAuth2", user: login, accessToken },
  });
  return transport.sendMail({ from: login, to: "rcpt@example.test", subject, text: "Hallo" });
}

function tamper(jwt: string): string {
  const [header, payload, signature = ""] = jwt.split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
  claims.email = "mallory@example.test";
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
}

describe("SMTP XOAUTH2 against the sink's JWKS check", () => {
  it("accepts a valid token of the provider for its own user and records who sent", async () => {
    sink.clear();
    const info = await send(user, await provider.token(user), "valid");
    expect(info.accepted).toEqual(["rcpt@example.test"]);
    const [received] = await sink.waitFor(1);
    expect(received).toMatchObject({ user, secure: true, mailFrom: user });
  });

  it("refuses a tampered token, another user's token, an expired one and one of another issuer", async () => {
    sink.clear();
    const stranger = await startOAuthProvider();
    try {
      const refused = {
        tampered: await send(user, tamper(await provider.token(user)), "t").catch((e: unknown) => e),
        "another user's": await send(user, await provider.token("bob@example.test"), "u").catch(
          (e: unknown) => e,
        ),
        expired: await send(user, await provider.token(user, { expiresIn: -120 }), "e").catch(
          (e: unknown) => e,
        ),
        "another issuer's": await send(user, await stranger.token(user), "i").catch((e: unknown) => e),
      };
      for (const [what, error] of Object.entries(refused)) {
        expect(error, `${what} token`).toMatchObject({ code: "EAUTH", responseCode: 535 });
      }
      expect(sink.messages).toHaveLength(0);
    } finally {
      await stranger.stop();
    }
  });

  it("the shared sink accepts a token the shared provider issued through its token endpoint", async () => {
    const { smtpSink, oauth, caPath } = inject("mailservers");
    const to = `xoauth2-${process.pid}@example.test`;
    const response = await fetch(oauth.tokenEndpoint, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", email: user }),
    });
    const { access_token } = (await response.json()) as { access_token: string };
    const transport = nodemailer.createTransport({
      host: smtpSink.host,
      port: smtpSink.port,
      requireTLS: true,
      tls: { ca: readFileSync(caPath, "utf8"), servername: "localhost" },
      auth: { type: "OAuth2", user, accessToken: access_token },
    });
    await transport.sendMail({ from: user, to, subject: "shared", text: "Hallo" });
    const [received] = await waitForSpool(smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
    expect(received?.user).toBe(user);
  });
});
