/**
 * Whether registration is open at a moment, and when it next opens: a pure function of the
 * config's master switch, the administrator's mode and the scheduled windows.
 *
 * @module
 */

/** How registration is being opened: by hand, closed by hand, or by the schedule. */
export type WindowMode = "open" | "closed" | "scheduled";

/** A scheduled window, ISO-8601 times. */
export interface Window {
  from: string;
  until: string;
}

/** Where registration stands. */
export interface WindowState {
  /** The config's master switch (`registration.enabled`): when false, registration is never open. */
  enabled: boolean;
  /** Whether a registration is accepted now. */
  open: boolean;
  mode: WindowMode;
  /** The schedule, earliest first (kept, though not followed, in modes open and closed). */
  windows: Window[];
  /** When the next scheduled window opens, if one does (null when closed by hand or switched off). */
  nextOpen: string | null;
}

/**
 * The state at `now`.
 *
 * @param input master switch, mode, schedule and time
 * @returns the state
 * @example
 * ```ts
 * const state = computeWindowState({
 *   enabled: true, mode: "scheduled", now: new Date("2026-12-01T07:00:00Z"),
 *   windows: [{ from: "2026-12-01T08:00:00Z", until: "2026-12-01T18:00:00Z" }],
 * });
 * console.log(state.open, state.nextOpen); // false 2026-12-01T08:00:00.000Z
 * ```
 */
export function computeWindowState(input: {
  enabled: boolean;
  mode: WindowMode;
  windows: readonly Window[];
  now: Date;
}): WindowState {
  const t = input.now.getTime();
  const windows = input.windows
    .map((w) => ({ from: new Date(w.from).toISOString(), until: new Date(w.until).toISOString() }))
    .sort((a, b) => a.from.localeCompare(b.from));
  const inside = windows.some((w) => Date.parse(w.from) <= t && t < Date.parse(w.until));
  const open = input.enabled && (input.mode === "open" || (input.mode === "scheduled" && inside));
  const next = windows.find((w) => Date.parse(w.from) > t)?.from ?? null;
  const nextOpen = input.enabled && input.mode === "scheduled" ? next : null;
  return { enabled: input.enabled, open, mode: input.mode, windows, nextOpen };
}
