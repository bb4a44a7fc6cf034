import { expectMailregError } from "@mailreg/core/testing";
import { describe, expect, it } from "vitest";
import { generateRegistryKey, importPrivateKey, importPublicKey } from "./key.ts";

/** RFC 7638 thumbprint computed by hand: SHA-256 over the required members in lexical order. */
async function thumbprint(jwk: { crv?: string; kty?: string; x?: string; y?: string }): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return Buffer.from(digest).toString("base64url");
}

describe("generateRegistryKey()", () => {
  it("gives a P-256 ECDH-ES+A256KW pair whose kid is the RFC 7638 thumbprint of the public key", async () => {
    const { kid, publicJwk, privateJwk } = await generateRegistryKey();
    expect(kid).toBe(await thumbprint(publicJwk));
    for (const jwk of [publicJwk, privateJwk]) {
      expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", kid, alg: "ECDH-ES+A256KW", use: "enc" });
    }
    expect(publicJwk).not.toHaveProperty("d");
    expect(typeof privateJwk.d).toBe("string");
  });

  it("gives a new key each time", async () => {
    const [a, b] = await Promise.all([generateRegistryKey(), generateRegistryKey()]);
    expect(a.kid).not.toBe(b.kid);
  });
});

describe("importPublicKey() and importPrivateKey()", () => {
  it("import a generated pair under its kid, the private key not extractable", async () => {
    const pair = await generateRegistryKey();
    const pub = await importPublicKey(pair.publicJwk);
    const priv = await importPrivateKey(pair.privateJwk);
    expect(pub.kid).toBe(pair.kid);
    expect(priv.kid).toBe(pair.kid);
    expect(priv.key.extractable).toBe(false);
    expect(priv.key.type).toBe("private");
  });

  it("refuse a JWK whose kid is not its thumbprint", async () => {
    const { publicJwk } = await generateRegistryKey();
    const error = await expectMailregError(
      importPublicKey({ ...publicJwk, kid: "someone-else" }),
      "KEY_INVALID",
    );
    expect(error.message).toMatch(/thumbprint/);
  });

  it("refuse keys of another curve, type or algorithm", async () => {
    const { publicJwk } = await generateRegistryKey();
    await expectMailregError(importPublicKey({ ...publicJwk, kid: undefined, crv: "P-384" }), "KEY_INVALID");
    await expectMailregError(importPublicKey({ kty: "oct", k: "AAAA" }), "KEY_INVALID");
    await expectMailregError(importPublicKey({ ...publicJwk, alg: "RSA-OAEP-256" }), "KEY_INVALID");
    await expectMailregError(importPublicKey("not a key"), "KEY_INVALID");
  });

  it("refuse a point that is not on the curve", async () => {
    const { publicJwk } = await generateRegistryKey();
    const x = `${publicJwk.x?.startsWith("A") ? "B" : "A"}${publicJwk.x?.slice(1)}`;
    await expectMailregError(importPublicKey({ ...publicJwk, kid: undefined, x }), "KEY_INVALID");
  });

  it("importPrivateKey() refuses a public JWK", async () => {
    const { publicJwk } = await generateRegistryKey();
    await expectMailregError(importPrivateKey(publicJwk), "KEY_INVALID");
  });
});
