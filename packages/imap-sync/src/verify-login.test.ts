import { describe, expect, it } from "vitest";
import { defineSource } from "./connector.ts";
import type { Source } from "./source.ts";
import { verifyLogin } from "./verify-login.ts";

const profile = {
  v: 1,
  address: "ann@example.org",
  protocol: "jmap",
  host: "mail.example.org",
  port: 443,
  security: "tls",
  login: "ann",
  auth: { method: "password", password: "pw-Secret-1" },
} as const;

describe("verifyLogin()", () => {
  it("logs in through the source its protocol names in the registry, and closes it again", async () => {
    // a source of the caller's own with no server behind it: what is checked is that verifyLogin
    // asks the registry (the real IMAP and POP3 logins are in verify-login.integration.test.ts)
    const seen: string[] = [];
    const jmap = defineSource(
      { kind: "jmap", label: "JMAP", defaultPorts: { tls: 443, starttls: 443, none: 80 } },
      async (p) => {
        seen.push(`connect ${p.login}@${p.host}:${p.port}`);
        return {
          kind: "jmap",
          capabilities: { folders: true, flags: true, vanished: true, move: true },
          listFolders: async () => [],
          fetchNew: async function* () {},
          delete: async () => 0,
          close: async () => {
            seen.push("close");
          },
        } satisfies Source;
      },
    );
    expect(await verifyLogin(profile, { sources: new Map([["jmap", jmap]]) })).toEqual({ ok: true });
    expect(seen).toEqual(["connect ann@mail.example.org:443", "close"]);
  });

  it("says protocol, never the secret, for a protocol no source is registered for", async () => {
    const result = await verifyLogin(profile);
    expect(result).toMatchObject({ ok: false, reason: "protocol" });
    expect(JSON.stringify(result)).not.toContain("pw-Secret-1");
  });
});
