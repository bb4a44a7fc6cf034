/**
 * Registration windows as the store keeps them. The store's "open now" setting holds the mode:
 * true = opened by hand, false = closed by hand, "scheduled" = follow the stored schedule, never set = the
 * config's default (its `registration.windows` as the schedule, or open when it has none).
 * Every change goes through the store's audited functions.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import {
  getSetting,
  listWindows,
  OPEN_NOW_SETTING,
  replaceWindows,
  type Store,
  setSetting,
} from "@mailreg/store";
import { computeWindowState, type Window, type WindowMode, type WindowState } from "./window-state.ts";

/** What the state is computed from: the config's switch, the mode and the schedule. */
export interface WindowSource {
  enabled: boolean;
  mode: WindowMode;
  windows: Window[];
}

/**
 * Reads the mode and schedule from the store (or the config's default).
 *
 * @param store the open store
 * @param config the config (master switch and default schedule)
 * @returns what the state is computed from
 */
export async function readWindowSource(store: Store, config: Config): Promise<WindowSource> {
  const setting = await getSetting(store, OPEN_NOW_SETTING);
  const enabled = config.registration.enabled;
  if (setting === undefined) {
    const windows = config.registration.windows;
    return { enabled, mode: windows.length > 0 ? "scheduled" : "open", windows };
  }
  const stored = await listWindows(store);
  const windows = stored.map((w) => ({ from: w.opensAt, until: w.closesAt }));
  const mode: WindowMode = setting === true ? "open" : setting === false ? "closed" : "scheduled";
  return { enabled, mode, windows };
}

/**
 * Where registration stands now.
 *
 * @param store the open store
 * @param config the config (master switch and default schedule)
 * @param now the time
 * @returns the state
 */
export async function readWindowState(store: Store, config: Config, now: Date): Promise<WindowState> {
  return computeWindowState({ ...(await readWindowSource(store, config)), now });
}

/**
 * Replaces the schedule (audited as `registration-window.replace`) and follows it from now on.
 *
 * @param store the open store
 * @param windows the new schedule (may be empty: then registration stays closed)
 * @param by who and when
 */
export async function setSchedule(
  store: Store,
  windows: readonly Window[],
  by: { actor: string; now: Date },
): Promise<void> {
  await replaceWindows(
    store,
    windows.map((w) => ({ opensAt: w.from, closesAt: w.until })),
    by,
  );
  await setSetting(store, OPEN_NOW_SETTING, "scheduled", by.now);
}
