import { type OAuthProviderConfig, validateConfig } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import type { OAuthProviderSettings } from "./provider.ts";
import { createOAuthProvider, OAUTH_PROVIDERS } from "./registry.ts";

// a compile-time check: core's config entries are accepted as they are
const _compatible = (entry: OAuthProviderConfig): OAuthProviderSettings => entry;

describe("createOAuthProvider()", () => {
  it("makes each provider of the config's oauth section as core validates it", () => {
    const config = validateConfig({
      oauth: {
        providers: {
          gmail: {
            kind: "google",
            clientId: "g",
            clientSecret: "s",
            redirectUri: "https://reg.example.org/cb",
          },
          m365: {
            kind: "microsoft",
            clientId: "m",
            redirectUri: "https://reg.example.org/cb",
            tenant: "organizations",
          },
          corp: {
            kind: "oidc",
            clientId: "o",
            redirectUri: "https://reg.example.org/cb",
            issuer: "https://id.example.org",
          },
        },
      },
    });
    const kinds = Object.values(config.oauth.providers).map(
      (entry) => createOAuthProvider(_compatible(entry)).kind,
    );
    expect(kinds).toEqual(["google", "microsoft", "oidc"]);
  });

  it("knows google, microsoft and oidc", () => {
    expect([...OAUTH_PROVIDERS.keys()]).toEqual(["google", "microsoft", "oidc"]);
  });

  it("refuses an unknown kind, listing the known ones", () => {
    expect(() =>
      createOAuthProvider({ kind: "yahoo", clientId: "c", redirectUri: "https://x.example/cb" }),
    ).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        details: { kind: "yahoo", known: ["google", "microsoft", "oidc"] },
      }),
    );
  });

  it("refuses a redirect URI that is not an absolute http(s) URL, and an oidc entry without issuer", () => {
    for (const redirectUri of ["/oauth/callback", "javascript:alert(1)", ""]) {
      expect(() => createOAuthProvider({ kind: "google", clientId: "c", redirectUri })).toThrow(
        expect.objectContaining({
          code: "CONFIG_INVALID",
          details: { kind: "google", field: "redirectUri" },
        }),
      );
    }
    expect(() =>
      createOAuthProvider({ kind: "oidc", clientId: "c", redirectUri: "https://x.example/cb" }),
    ).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", details: { kind: "oidc", field: "issuer" } }),
    );
  });
});
