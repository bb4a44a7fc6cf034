import { describe, expect, it } from "vitest";
import { de } from "./de.ts";
import { en } from "./en.ts";
import { negotiateLocale, translator } from "./i18n.ts";

describe("negotiateLocale()", () => {
  it("takes an explicit choice, then the best Accept-Language match, else English", () => {
    expect(negotiateLocale("de", "en")).toBe("de");
    expect(negotiateLocale("fr", "de-AT,de;q=0.9,en;q=0.8")).toBe("de");
    expect(negotiateLocale(undefined, "fr-FR, en;q=0.5, de;q=0.7")).toBe("de");
    expect(negotiateLocale(undefined, "de;q=0, en")).toBe("en");
    expect(negotiateLocale(undefined, "fr")).toBe("en");
    expect(negotiateLocale(undefined, undefined)).toBe("en");
  });
});

describe("the catalogs", () => {
  it("carry the same keys and parameters in both languages", () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(params(de[key]), key).toEqual(params(en[key]));
    }
  });

  it("fill in parameters", () => {
    expect(translator("de")("register.oauth", { provider: "Google" })).toBe("Mit Google anmelden");
  });
});
