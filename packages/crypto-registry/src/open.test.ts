import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { CompactEncrypt } from "jose";
import { describe, expect, it } from "vitest";
import { inspectSealed, open } from "./open.ts";
import { seal } from "./seal.ts";
import { type TestKeyring, testKeyring, testProfile } from "./testing.ts";

const PASSWORD = "correct horse battery staple";
const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address: "ann@example.org" };

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Replaces character `index` of part `part` of a JWE with another base64url character. */
function alter(jwe: string, part: number, index: number): string {
  const parts = jwe.split(".");
  const s = parts[part] ?? "";
  const c = s[index] ?? "";
  const other = B64URL[(B64URL.indexOf(c) + 32) % 64] ?? "A"; // flips the character's top bit
  parts[part] = s.slice(0, index) + other + s.slice(index + 1);
  return parts.join(".");
}

/** Rewrites the protected header as JSON, leaving the rest of the JWE as it is. */
function rewriteHeader(jwe: string, change: (h: Record<string, unknown>) => void): string {
  const [h = "", ...rest] = jwe.split(".");
  const json = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  change(json);
  return [Buffer.from(JSON.stringify(json)).toString("base64url"), ...rest].join(".");
}

/** Seals arbitrary plaintext with a hand-made header: what anyone holding the public key can do. */
async function craft(keyring: TestKeyring, plaintext: string, extra: Record<string, unknown> = {}) {
  return await new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: keyring.publicKey.kid,
      cty: "mailreg-profile+json",
      "mailreg.rid": binding.registrationId,
      "mailreg.addr": binding.address,
      ...extra,
    })
    .encrypt(keyring.publicKey.key);
}

describe("open()", () => {
  it("gives back the sealed password profile", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    expect(await open(jwe, keyring, binding)).toEqual(testProfile());
  });

  it("gives back a sealed OAuth profile", async () => {
    const keyring = await testKeyring();
    const profile = testProfile({ auth: { method: "oauth2", provider: "google", refreshToken: "1//rt" } });
    expect(await open(await seal(profile, keyring.publicKey, binding), keyring, binding)).toEqual(profile);
  });

  it("refuses a value sealed to another key (KEY_NOT_FOUND)", async () => {
    const a = await testKeyring();
    const b = await testKeyring();
    const jwe = await seal(testProfile(), a.publicKey, binding);
    const error = await expectMailregError(open(jwe, b, binding), "KEY_NOT_FOUND");
    expect(error.details).toEqual({ kid: a.publicKey.kid });
    expectNoSecret(error, PASSWORD);
  });

  it("refuses in a process that holds only the public key (SEAL_NO_PRIVATE_KEY)", async () => {
    const site = await testKeyring({ publicOnly: true });
    const jwe = await seal(testProfile(), site.publicKey, binding);
    await expectMailregError(open(jwe, site, binding), "SEAL_NO_PRIVATE_KEY");
  });

  it("refuses a value whose header was rewritten to claim another registration", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    const other = { ...binding, registrationId: "0193a4f2-7c1e-7000-8000-000000000002" };
    const moved = rewriteHeader(jwe, (h) => {
      h["mailreg.rid"] = other.registrationId;
    });
    expect(inspectSealed(moved).registrationId).toBe(other.registrationId);
    expectNoSecret(await expectMailregError(open(moved, keyring, other), "SEAL_TAMPERED"), PASSWORD);
  });

  it("refuses a value with any character of its protected header changed", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    const length = jwe.split(".")[0]?.length ?? 0;
    for (let i = 0; i < length; i++) {
      const altered = alter(jwe, 0, i);
      let kidChanged = false;
      try {
        kidChanged = inspectSealed(altered).kid !== keyring.publicKey.kid;
      } catch {}
      await expectMailregError(
        open(altered, keyring, binding),
        kidChanged ? "KEY_NOT_FOUND" : "SEAL_TAMPERED",
      );
    }
  });

  it.each([
    ["encrypted key", 1],
    ["IV", 2],
    ["ciphertext", 3],
    ["authentication tag", 4],
  ])("refuses a value whose %s was changed (SEAL_TAMPERED)", async (_name, part) => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    for (const index of [0, 5]) {
      expectNoSecret(
        await expectMailregError(open(alter(jwe, part, index), keyring, binding), "SEAL_TAMPERED"),
        PASSWORD,
      );
    }
  });

  it.each(["", "garbage", "a.b.c.d.e", "eyJhbGciOiJub25lIn0.e30."])(
    "refuses %j, which is not a sealed profile",
    async (text) => {
      const keyring = await testKeyring();
      await expectMailregError(open(text, keyring, binding), "SEAL_TAMPERED");
    },
  );

  it("refuses a value sealed for another registration id (SEAL_BINDING_MISMATCH)", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    const other = { ...binding, registrationId: "0193a4f2-7c1e-7000-8000-000000000002" };
    const error = await expectMailregError(open(jwe, keyring, other), "SEAL_BINDING_MISMATCH");
    expect(error.details).toMatchObject({ field: "registrationId" });
    expectNoSecret(error, PASSWORD);
  });

  it("refuses a value sealed for another address (SEAL_BINDING_MISMATCH)", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    const error = await expectMailregError(
      open(jwe, keyring, { ...binding, address: "bob@example.org" }),
      "SEAL_BINDING_MISMATCH",
    );
    expect(error.details).toMatchObject({ field: "address" });
    expectNoSecret(error, PASSWORD);
  });

  it("refuses a hand-made value whose plaintext profile names another address than its header", async () => {
    const keyring = await testKeyring();
    const jwe = await craft(keyring, JSON.stringify(testProfile({ address: "bob@example.org" })));
    await expectMailregError(open(jwe, keyring, binding), "SEAL_BINDING_MISMATCH");
  });

  it("refuses a plaintext that is not a connection profile, without quoting it (SEAL_PROFILE_INVALID)", async () => {
    const keyring = await testKeyring();
    const notProfile = await craft(keyring, JSON.stringify({ v: 1, password: PASSWORD }));
    const error = await expectMailregError(open(notProfile, keyring, binding), "SEAL_PROFILE_INVALID");
    expect(error.details?.fields).toContain("host");
    expectNoSecret(error, PASSWORD);
    const notJson = await craft(keyring, `${PASSWORD} is not JSON`);
    expectNoSecret(
      await expectMailregError(open(notJson, keyring, binding), "SEAL_PROFILE_INVALID"),
      PASSWORD,
    );
  });

  it("refuses a value of another content type", async () => {
    const keyring = await testKeyring();
    const jwe = await craft(keyring, JSON.stringify(testProfile()), { cty: "text/plain" });
    await expectMailregError(open(jwe, keyring, binding), "SEAL_TAMPERED");
  });
});

describe("inspectSealed()", () => {
  it("reads the key id and binding without the private key", async () => {
    const site = await testKeyring({ publicOnly: true });
    const jwe = await seal(testProfile(), site.publicKey, binding);
    expect(inspectSealed(jwe)).toEqual({ kid: site.publicKey.kid, ...binding });
  });

  it.each(["", "garbage", "a.b.c.d.e"])("refuses %j with SEAL_TAMPERED", async (text) => {
    expect(() => inspectSealed(text)).toThrow(expect.objectContaining({ code: "SEAL_TAMPERED" }));
  });
});
