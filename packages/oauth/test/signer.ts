// A local RS256 key that signs ID tokens, and its JWKS, for issuers whose real keys are out of reach.
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/** A signing key and its public JWKS. */
export interface Signer {
  jwks: { keys: Record<string, unknown>[] };
  /** Signs `claims` (iat and exp default to now and now + 1 h). */
  sign(claims: JWTPayload): Promise<string>;
}

export async function makeSigner(kid = "test-key"): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    jwks: { keys: [jwk] },
    sign: (claims) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 3600, ...claims })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .sign(privateKey);
    },
  };
}
