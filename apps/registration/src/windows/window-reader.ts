/**
 * The registration window as the public routes read it: the mode and schedule are read from the
 * store at most once per `ttlMs` (every submission needs them), the state is computed from them at
 * each call, so window boundaries take effect to the millisecond. Changes made through this app
 * call `changed()`; changes made elsewhere (another app process, the CLI) show within `ttlMs`.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import type { Store } from "@mailreg/store";
import { computeWindowState, type WindowState } from "./window-state.ts";
import { readWindowSource, type WindowSource } from "./window-store.ts";

/** A cached reader of the window state. */
export interface WindowReader {
  /** The state now. */
  state(): Promise<WindowState>;
  /** Forgets the cached mode and schedule (after a change). */
  changed(): void;
}

/**
 * A window reader.
 *
 * @param options store, config, clock, and how long a read is reused (0: never)
 * @returns the reader
 */
export function windowReader(options: {
  store: Store;
  config: Config;
  clock: () => Date;
  ttlMs: number;
}): WindowReader {
  let cached: { source: Promise<WindowSource>; at: number } | undefined;
  return {
    async state() {
      const now = options.clock();
      if (cached === undefined || now.getTime() - cached.at >= options.ttlMs || now.getTime() < cached.at) {
        const source = readWindowSource(options.store, options.config);
        cached = { source, at: now.getTime() };
        source.catch(() => {
          cached = undefined;
        });
      }
      return computeWindowState({ ...(await cached.source), now });
    },
    changed() {
      cached = undefined;
    },
  };
}
