/**
 * Human output (aligned tables, key/value blocks) and `--json` output.
 *
 * @module
 */
import type { Io } from "./io.ts";

/**
 * Formats rows as an aligned text table with a header line.
 *
 * @param rows the rows
 * @param columns the keys to show, in order, with their headings
 * @returns the table, one line per row, ending in a newline
 */
export function table<T extends Record<string, unknown>>(
  rows: T[],
  columns: [keyof T & string, string][],
): string {
  const cells = rows.map((r) => columns.map(([k]) => _cell(r[k])));
  const widths = columns.map(([, h], i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(columns.map(([, h]) => h)), ...cells.map(line)].join("\n")}\n`;
}

/**
 * Formats an object as `key: value` lines.
 *
 * @param fields the fields, in order
 * @returns the block, ending in a newline
 */
export function block(fields: [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return `${fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${_cell(v)}`)
    .join("\n")}\n`;
}

/**
 * Writes the result of a command: JSON when asked for, else the human text.
 *
 * @param io the streams
 * @param json whether `--json` was given
 * @param value the machine-readable result
 * @param human the human-readable text (computed only when needed)
 */
export function emit(io: Io, json: boolean | undefined, value: unknown, human: () => string): void {
  io.out(json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

function _cell(v: unknown): string {
  if (v === undefined || v === null) return "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
