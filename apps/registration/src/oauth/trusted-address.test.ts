import { isMailregError } from "@mailreg/core";
import { sampleConfig } from "@mailreg/core/testing";
import type { VerifiedIdentity } from "@mailreg/oauth";
import { describe, expect, it } from "vitest";
import { trustedAddress } from "./oauth-registration.ts";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const STRANGER = "0b5e2c1a-1111-4222-8333-944455556666";
const common = { clientId: "client", clientSecret: "secret", redirectUri: "https://reg.example.org/cb" };
const config = sampleConfig({
  oauth: {
    providers: {
      gmail: { kind: "google", ...common },
      m365: {
        kind: "microsoft",
        ...common,
        allowedTenants: { [TENANT.toUpperCase()]: ["yourdomain.example"] },
      },
      open365: { kind: "microsoft", ...common },
    },
  },
});

const identity = (claims: Partial<VerifiedIdentity>): VerifiedIdentity => ({
  sub: "s",
  issuer: "https://issuer.example",
  claims: {},
  email: "victim@yourdomain.example",
  ...claims,
});

function refusal(providerId: string, who: VerifiedIdentity): string {
  try {
    return trustedAddress(config, providerId, who);
  } catch (error) {
    if (!isMailregError(error)) throw error;
    return `${error.code}:${String(error.details?.reason)}`;
  }
}

describe("trustedAddress(): an email claim only where the provider vouches for it", () => {
  it("Google: only with email_verified true", () => {
    expect(refusal("gmail", identity({ emailVerified: true }))).toBe("victim@yourdomain.example");
    expect(refusal("gmail", identity({ emailVerified: false }))).toBe(
      "OAUTH_ID_TOKEN_INVALID:unverified-email",
    );
    expect(refusal("gmail", identity({}))).toBe("OAUTH_ID_TOKEN_INVALID:unverified-email");
  });

  it("Microsoft: only from an allowed tenant, for a domain that tenant owns", () => {
    expect(refusal("m365", identity({ tenantId: TENANT }))).toBe("victim@yourdomain.example");
    // a stranger's tenant whose admin set email to the victim's address (Microsoft sends no email_verified)
    expect(refusal("m365", identity({ tenantId: STRANGER, emailVerified: true }))).toBe(
      "OAUTH_ID_TOKEN_INVALID:tenant-not-allowed",
    );
    // the allowed tenant, but a domain it was not given
    expect(refusal("m365", identity({ tenantId: TENANT, email: "ceo@other.example" }))).toBe(
      "OAUTH_ID_TOKEN_INVALID:tenant-not-allowed",
    );
    expect(refusal("m365", identity({}))).toBe("OAUTH_ID_TOKEN_INVALID:tenant-not-allowed");
    // no allowedTenants configured: no Microsoft sign-in registers
    expect(refusal("open365", identity({ tenantId: TENANT }))).toBe(
      "OAUTH_ID_TOKEN_INVALID:tenant-not-allowed",
    );
  });
});
