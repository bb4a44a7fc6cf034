import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { open } from "./open.ts";
import { seal } from "./seal.ts";
import { testKeyring, testProfile } from "./testing.ts";

const PASSWORD = "correct horse battery staple";
const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address: "ann@example.org" };

function header(jwe: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwe.split(".")[0] ?? "", "base64url").toString("utf8"));
}

describe("seal()", () => {
  it("gives a JWE compact string whose protected header names the key, content type and binding", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    expect(jwe.split(".")).toHaveLength(5);
    expect(header(jwe)).toMatchObject({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: keyring.publicKey.kid,
      cty: "mailreg-profile+json",
      "mailreg.rid": binding.registrationId,
      "mailreg.addr": binding.address,
    });
  });

  it("never shows the password, in the header or anywhere in the sealed string", async () => {
    const keyring = await testKeyring();
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    const decoded = jwe.split(".").map((part) => Buffer.from(part, "base64url").toString("latin1"));
    for (const text of [jwe, ...decoded]) expect(text).not.toContain(PASSWORD);
  });

  it("seals the same profile differently each time", async () => {
    const keyring = await testKeyring();
    const a = await seal(testProfile(), keyring.publicKey, binding);
    const b = await seal(testProfile(), keyring.publicKey, binding);
    expect(a).not.toBe(b);
  });

  it("refuses an invalid profile, naming the fields but not the password", async () => {
    const keyring = await testKeyring();
    const error = await expectMailregError(
      seal(testProfile({ port: 0 }), keyring.publicKey, binding),
      "VALIDATION",
    );
    expect(error.details).toEqual({ fields: ["port"] });
    expectNoSecret(error, PASSWORD);
  });

  it("refuses a profile for another address than the registration's", async () => {
    const keyring = await testKeyring();
    const profile = testProfile({ address: "bob@example.org" });
    const error = await expectMailregError(
      seal(profile, keyring.publicKey, binding),
      "SEAL_BINDING_MISMATCH",
    );
    expectNoSecret(error, PASSWORD);
  });

  it("refuses an empty registration id", async () => {
    const keyring = await testKeyring();
    const error = await expectMailregError(
      seal(testProfile(), keyring.publicKey, { ...binding, registrationId: "" }),
      "VALIDATION",
    );
    expect(error.details).toEqual({ fields: ["registrationId"] });
  });

  it("seals only the profile's own fields", async () => {
    const keyring = await testKeyring();
    const extra = { ...testProfile(), note: "not part of a profile" };
    const opened = await open(await seal(extra, keyring.publicKey, binding), keyring, binding);
    expect(opened).toEqual(testProfile());
  });
});
