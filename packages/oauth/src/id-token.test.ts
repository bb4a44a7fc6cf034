import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expectMailregError } from "@mailreg/core/testing";
import { createLocalJWKSet, createRemoteJWKSet, customFetch, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { makeSigner, type Signer } from "../test/signer.ts";
import { verifyIdToken } from "./id-token.ts";

const ISSUER = "https://id.example.org";
const base = { iss: ISSUER, aud: "app-1", sub: "user-1", nonce: "n1" };
let signer: Signer;
let options: Parameters<typeof verifyIdToken>[1];

beforeAll(async () => {
  signer = await makeSigner();
  options = { issuer: ISSUER, clientId: "app-1", nonce: "n1", keys: createLocalJWKSet(signer.jwks as never) };
});

describe("verifyIdToken()", () => {
  it("returns the verified subject, address and its verified flag", async () => {
    const token = await signer.sign({ ...base, email: "ann@example.org", email_verified: "true" });
    expect(await verifyIdToken(token, options)).toMatchObject({
      sub: "user-1",
      email: "ann@example.org",
      emailVerified: true,
      issuer: ISSUER,
    });
  });

  it("refuses a token for another nonce, audience, authorized party or issuer, naming the claim", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nonce: "other" }, "nonce"],
      [{ nonce: undefined }, "nonce"],
      [{ aud: "app-2" }, "aud"],
      [{ aud: ["app-1", "app-2"], azp: "app-2" }, "azp"],
      [{ iss: "https://id.example.org.evil" }, "iss"],
    ];
    for (const [change, claim] of cases) {
      const error = await expectMailregError(
        verifyIdToken(await signer.sign({ ...base, ...change }), options),
        "OAUTH_ID_TOKEN_INVALID",
      );
      expect(error.details).toEqual({ reason: "claim", claim });
    }
  });

  it("refuses a token that has expired by the injected clock, beyond the tolerance", async () => {
    const token = await signer.sign(base);
    const inOneHour = Date.now() + 3600_000;
    await expect(verifyIdToken(token, { ...options, now: () => inOneHour + 30_000 })).resolves.toBeDefined();
    const error = await expectMailregError(
      verifyIdToken(token, { ...options, now: () => inOneHour + 61_000 }),
      "OAUTH_ID_TOKEN_INVALID",
    );
    expect(error.message).toBe("The ID token has expired");
  });

  it("refuses unsigned and HMAC-signed tokens", async () => {
    const unsigned = new UnsecuredJWT({ ...base }).setIssuedAt().setExpirationTime("1h").encode();
    await expectMailregError(verifyIdToken(unsigned, options), "OAUTH_ID_TOKEN_INVALID");
    const hmac = await new SignJWT({ ...base })
      .setProtectedHeader({ alg: "HS256", kid: "test-key" })
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("a shared secret anyone could guess"));
    await expectMailregError(verifyIdToken(hmac, options), "OAUTH_ID_TOKEN_INVALID");
  });

  it("fills {tenantid} from the token's tid, which must be a GUID", async () => {
    const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const template = { ...options, issuer: "https://login.example/{tenantid}/v2.0" };
    const ok = await signer.sign({ ...base, iss: `https://login.example/${tid}/v2.0`, tid });
    expect((await verifyIdToken(ok, template)).tenantId).toBe(tid);
    const notGuid = await signer.sign({ ...base, iss: "https://login.example/evil/v2.0", tid: "evil" });
    await expectMailregError(verifyIdToken(notGuid, template), "OAUTH_ID_TOKEN_INVALID");
    const noTid = await signer.sign({ ...base, iss: "https://login.example/{tenantid}/v2.0" });
    await expectMailregError(verifyIdToken(noTid, template), "OAUTH_ID_TOKEN_INVALID");
  });

  it("reports keys that cannot be fetched as the server's fault, not the token's", async () => {
    const token = await signer.sign(base);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks`));
    await expectMailregError(verifyIdToken(token, { ...options, keys: unreachable }), "OAUTH_UNREACHABLE");

    const failing = createRemoteJWKSet(new URL("https://id.example.org/jwks"), {
      [customFetch]: async () => new Response("oops", { status: 500 }),
    });
    await expectMailregError(
      verifyIdToken(token, { ...options, keys: failing }),
      "OAUTH_UNEXPECTED_RESPONSE",
    );
  });
});
