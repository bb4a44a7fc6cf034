import { describe, expect, it } from "vitest";
import { type DovecotConfigSettings, renderDovecotConfig, renderOAuth2Config } from "./dovecot-config.ts";

const base: DovecotConfigSettings = {
  dir: "/tmp/mailreg-dovecot-abc",
  instanceName: "mailreg-abc",
  ports: { imap: 10143, imaps: 10993, pop3: 10110, pop3s: 10995 },
  separator: "/",
  certPath: "/tmp/mailreg-dovecot-abc/cert.pem",
  keyPath: "/tmp/mailreg-dovecot-abc/key.pem",
  passwdDir: "/tmp/mailreg-dovecot-abc/users",
  mailRoot: "/tmp/mailreg-dovecot-abc/mail",
  condstore: true,
  authDebug: false,
};

function capabilities(config: string): string[] | undefined {
  return /^imap_capability = (.*)$/m.exec(config)?.[1]?.split(" ");
}

describe("renderDovecotConfig()", () => {
  it("keeps Dovecot's capabilities by default and drops only CONDSTORE and QRESYNC when asked", () => {
    expect(capabilities(renderDovecotConfig(base))).toBeUndefined();
    const caps = capabilities(renderDovecotConfig({ ...base, condstore: false }));
    expect(caps).not.toContain("CONDSTORE");
    expect(caps).not.toContain("QRESYNC");
    expect(caps).toEqual(
      expect.arrayContaining(["IMAP4rev1", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "ESEARCH"]),
    );
  });

  it("uses LAYOUT=fs for the '/' separator and Maildir++ for '.'", () => {
    expect(renderDovecotConfig(base)).toContain(
      "mail_location = maildir:/tmp/mailreg-dovecot-abc/mail/%u:LAYOUT=fs\n",
    );
    const dot = renderDovecotConfig({ ...base, separator: "." });
    expect(dot).toContain("mail_location = maildir:/tmp/mailreg-dovecot-abc/mail/%u\n");
    expect(dot).toContain("  separator = .\n");
  });

  it("sends passwords and OAuth tokens to separate passdbs when an issuer is set", () => {
    const plain = renderDovecotConfig(base);
    expect(plain).not.toContain("driver = oauth2");
    const config = renderDovecotConfig({ ...base, oauth2File: "/tmp/mailreg-dovecot-abc/oauth2.conf" });
    expect(config).toContain("auth_mechanisms = plain login cram-md5 xoauth2 oauthbearer\n");
    expect(config).toMatch(/driver = passwd-file\n {2}mechanisms = plain login cram-md5\n/);
    expect(config).toMatch(
      /driver = oauth2\n {2}mechanisms = xoauth2 oauthbearer\n {2}args = \S+oauth2.conf\n/,
    );
  });

  it("runs submission only with a relay, and relays where it is told", () => {
    expect(renderDovecotConfig(base)).toContain("protocols = imap pop3\n");
    const config = renderDovecotConfig({
      ...base,
      ports: { ...base.ports, submission: 10587 },
      relay: { host: "127.0.0.1", port: 2525 },
    });
    expect(config).toContain("protocols = imap pop3 submission\n");
    expect(config).toContain("submission_relay_host = 127.0.0.1\nsubmission_relay_port = 2525\n");
    expect(config).toMatch(/inet_listener submission \{\n {4}port = 10587\n/);
  });

  it("never puts anything after an opening brace on the same line (Dovecot rejects that)", () => {
    const config = renderDovecotConfig({
      ...base,
      separator: ".",
      condstore: false,
      oauth2File: "/x/oauth2.conf",
      ports: { ...base.ports, submission: 1 },
      relay: { host: "127.0.0.1", port: 2 },
    });
    for (const line of config.split("\n")) expect(line).toMatch(/^[^{]*(\{)?$/);
    expect(config.split("{").length).toBe(config.split("}").length);
  });

  it("refuses paths that would need quoting", () => {
    expect(() => renderDovecotConfig({ ...base, mailRoot: "/tmp/with space" })).toThrow(TypeError);
  });
});

describe("renderOAuth2Config()", () => {
  it("validates tokens locally against the key directory and takes the login from `email`", () => {
    expect(renderOAuth2Config("http://127.0.0.1:4000", "/k")).toBe(
      "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=/k/\n" +
        "username_attribute = email\nissuers = http://127.0.0.1:4000\n",
    );
  });

  it("takes the login from another claim and compares only the domains with %Ld, for app-only tokens", () => {
    expect(
      renderOAuth2Config("http://127.0.0.1:4000", "/k", { attribute: "app_mailboxes", format: "%Ld" }),
    ).toBe(
      "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=/k/\n" +
        "username_attribute = app_mailboxes\nusername_format = %Ld\nissuers = http://127.0.0.1:4000\n",
    );
  });

  it("refuses a claim or format that could break out of its line", () => {
    expect(() => renderOAuth2Config("http://x", "/k", { attribute: "email\nissuers = evil" })).toThrow(
      TypeError,
    );
    expect(() => renderOAuth2Config("http://x", "/k", { format: "%Ld\nissuers = evil" })).toThrow(TypeError);
  });
});
