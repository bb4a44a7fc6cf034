/**
 * Choosing the language (a `lang` query parameter, then the `lang` cookie, then Accept-Language,
 * else English) and looking up messages.
 *
 * @module
 */
import { de } from "./de.ts";
import { en, type MessageKey, type Messages } from "./en.ts";

/** The languages the pages speak. */
export const LOCALES = ["en", "de"] as const;
/** A language. */
export type Locale = (typeof LOCALES)[number];

const _CATALOGS: Record<Locale, Messages> = { en, de };

/** Looks up a message and fills in `{name}` parameters. */
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * Whether a value names a supported language.
 *
 * @param value anything
 * @returns true for "en" or "de"
 */
export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/**
 * The language to answer in.
 *
 * @param choice an explicit choice (query parameter or cookie), if any
 * @param acceptLanguage the Accept-Language header
 * @returns the locale
 * @example
 * ```ts
 * negotiateLocale(undefined, "de-DE,de;q=0.9,en;q=0.8"); // "de"
 * ```
 */
export function negotiateLocale(choice: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(choice)) return choice;
  const ranked = (acceptLanguage ?? "")
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.toLowerCase().split("-")[0] ?? "", q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((entry) => entry.lang).find(isLocale) ?? "en";
}

/**
 * The message lookup of a language.
 *
 * @param locale the language
 * @returns the lookup function
 */
export function translator(locale: Locale): Translate {
  const catalog = _CATALOGS[locale];
  return (key, params = {}) =>
    (catalog[key] ?? key).replace(/\{(\w+)\}/g, (whole, name: string) =>
      Object.hasOwn(params, name) ? String(params[name]) : whole,
    );
}
