/**
 * Converting between instants and the wall-clock values of `<input type="datetime-local">` in an
 * IANA time zone, with Intl only.
 *
 * @module
 */

function _offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time stands for in a time zone.
 *
 * @param local `YYYY-MM-DDTHH:mm` (seconds optional)
 * @param timeZone an IANA time zone
 * @returns the ISO-8601 UTC time, or undefined when `local` is not such a value
 * @example
 * ```ts
 * localToIso("2026-12-01T09:00", "Europe/Berlin"); // "2026-12-01T08:00:00.000Z"
 * ```
 */
export function localToIso(local: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(local);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== d) return undefined;
  let instant = wall - _offsetMs(wall, timeZone);
  instant = wall - _offsetMs(instant, timeZone);
  return new Date(instant).toISOString();
}

/**
 * The wall-clock value of an instant in a time zone, for a datetime-local input.
 *
 * @param iso an ISO-8601 time
 * @param timeZone an IANA time zone
 * @returns `YYYY-MM-DDTHH:mm`
 */
export function isoToLocal(iso: string, timeZone: string): string {
  const instant = Date.parse(iso);
  return new Date(instant + _offsetMs(instant, timeZone)).toISOString().slice(0, 16);
}
