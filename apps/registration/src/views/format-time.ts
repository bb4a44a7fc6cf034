/**
 * Times as people read them, in the page's language and the site's time zone.
 *
 * @module
 */
import type { Locale } from "../i18n/i18n.ts";

const _TAGS: Record<Locale, string> = { en: "en-GB", de: "de-DE" };

/**
 * A time in words: weekday, date, time and zone.
 *
 * @param iso an ISO-8601 time
 * @param locale the language
 * @param timeZone an IANA time zone
 * @returns e.g. "Tuesday, 1 December 2026 at 09:00 CET"
 */
export function formatTime(iso: string, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(_TAGS[locale], {
    weekday: "long",
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(new Date(iso));
}
