import { type OAuthProviderConfig, validateConfig } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import type { OAuthProviderSettings } from "./provider.ts";
import { google } from "./providers/google.ts";
import { microsoft } from "./providers/microsoft.ts";
import { oidc } from "./providers/oidc.ts";
import { createOAuthProvider, OAUTH_PROVIDERS } from "./registry.ts";

// a compile-time check: core's config entries are accepted as they are
const _compatible = (entry: OAuthProviderConfig): OAuthProviderSettings => entry;

const connectors = { sources: new Map(), sinks: new Map(), providers: OAUTH_PROVIDERS };
const common = { clientId: "app", redirectUri: "https://reg.example.org/cb" };

function issuesOf(value: unknown) {
  try {
    validateConfig(value, connectors);
  } catch (error) {
    return (error as { details: { issues: { path: string; message: string }[] } }).details.issues;
  }
  throw new Error("expected the config to be invalid");
}

describe("the config's OAuth providers, checked by the provider registry", () => {
  it("requires an issuer for oidc and allows a tenant only for microsoft, each provider by its own schema", () => {
    expect(issuesOf({ oauth: { providers: { sso: { kind: "oidc", ...common } } } })).toEqual([
      { path: "oauth.providers.sso.issuer", message: "required: the issuer's URL" },
    ]);
    expect(issuesOf({ oauth: { providers: { g: { kind: "google", tenant: "x", ...common } } } })).toEqual([
      { path: "oauth.providers.g.tenant", message: "unknown key" },
    ]);
    expect(
      issuesOf({ oauth: { providers: { m: { kind: "microsoft", tenant: "a b", ...common } } } }),
    ).toEqual([
      {
        path: "oauth.providers.m.tenant",
        message: "must be common, organizations, consumers, a tenant id or a domain",
      },
    ]);
    const config = validateConfig(
      { oauth: { providers: { ms: { kind: "microsoft", tenant: "common", clientSecret: "s", ...common } } } },
      connectors,
    );
    expect(config.oauth.providers.ms).toMatchObject({ kind: "microsoft", tenant: "common", scopes: [] });
  });

  it("names the known kinds for an unknown one", () => {
    expect(issuesOf({ oauth: { providers: { y: { kind: "yahoo", ...common } } } })).toEqual([
      {
        path: "oauth.providers.y.kind",
        message: 'unknown OAuth provider kind "yahoo" (known: google, microsoft, oidc)',
      },
    ]);
  });

  it("refuses app-only access through a kind that cannot grant it (Google), by the provider's own word", () => {
    expect(google.appOnly).toBe(false);
    const providers = {
      gmail: { kind: "google", ...common },
      m365: { kind: "microsoft", tenant: "contoso.example", ...common },
    };
    expect(
      issuesOf({
        oauth: { providers },
        instances: [
          { id: "a", label: "A", oauthAppOnly: { provider: "gmail" } },
          { id: "b", label: "B", oauthAppOnly: { provider: "m365" } },
        ],
      }),
    ).toEqual([
      {
        path: "instances[0].oauthAppOnly.provider",
        message:
          'provider "gmail" is of kind google: Google offers no app-only (client-credentials) access to IMAP or SMTP; use a provider of kind microsoft or oidc',
      },
    ]);
  });

  it("each kind says where its apps sign in, for the admin's OAuth page", () => {
    expect(microsoft.where?.({})).toBe("common");
    expect(microsoft.where?.({ tenant: "contoso.example" })).toBe("contoso.example");
    expect(oidc.where?.({ issuer: "https://id.example.org" })).toBe("https://id.example.org");
    expect(google.where).toBeUndefined();
  });
});

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
