/**
 * Sortable ids: UUIDv7 (RFC 9562), monotonic within this process.
 *
 * @module
 */

/** The shape of an id: a lower-case UUIDv7 string. */
export const ID_PATTERN: RegExp = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const _RAND_A_MAX = 0xfff;
let _lastMs = -1;
let _counter = 0;

/**
 * A new UUIDv7: 48 bits of Unix milliseconds, then a 12-bit counter, then 62 random bits.
 *
 * Ids made later in this process sort after earlier ones, also within one millisecond (the counter
 * starts at a random value below 2048 each millisecond and counts up; on overflow, or when the clock
 * goes back, the timestamp is carried forward instead).
 *
 * @returns a lower-case UUIDv7 string
 * @example
 * ```ts
 * import { newId } from "@mailreg/core";
 * const a = newId();
 * const b = newId();
 * console.log(a < b); // true
 * ```
 */
export function newId(): string {
  const random = crypto.getRandomValues(new Uint8Array(10));
  const now = Date.now();
  if (now > _lastMs) {
    _lastMs = now;
    _counter = ((random[8]! << 8) | random[9]!) & 0x7ff;
  } else if (_counter < _RAND_A_MAX) {
    _counter++;
  } else {
    _lastMs++;
    _counter = 0;
  }
  const bytes = new Uint8Array(16);
  let ms = _lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (_counter >> 8);
  bytes[7] = _counter & 0xff;
  bytes.set(random.subarray(0, 8), 8);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Whether `value` is an id as {@link newId} makes them (a lower-case UUIDv7).
 *
 * @param value anything
 * @returns true for a lower-case UUIDv7 string
 * @example
 * ```ts
 * import { isId, newId } from "@mailreg/core";
 * console.log(isId(newId()), isId("not-an-id")); // true false
 * ```
 */
export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

/**
 * The creation time encoded in an id.
 *
 * @param id an id from {@link newId}
 * @returns the millisecond timestamp as a Date
 */
export function idTime(id: string): Date {
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
