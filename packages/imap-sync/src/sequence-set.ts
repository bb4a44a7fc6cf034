/**
 * IMAP sequence sets from lists of UIDs.
 *
 * @module
 */

/**
 * Sorted UIDs as a compact IMAP sequence set; repeated UIDs are merged.
 *
 * @param sorted UIDs in ascending order
 * @returns e.g. "1:500,502,504:900" (empty for no UIDs)
 * @example
 * ```ts
 * import { toSequenceSet } from "./sequence-set.ts";
 * console.log(toSequenceSet([1, 2, 3, 5, 7, 8])); // 1:3,5,7:8
 * ```
 */
export function toSequenceSet(sorted: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! <= sorted[j]! + 1) j++;
    parts.push(sorted[i] === sorted[j] ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
