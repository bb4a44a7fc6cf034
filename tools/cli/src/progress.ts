/**
 * A progress bar for long work (import, export, key rotation), drawn on standard error only when
 * it is a terminal; scripts and logs get a single summary line from the command instead.
 *
 * @module
 */
import cliProgress from "cli-progress";
import type { Io } from "./io.ts";

/** A started progress display. */
export interface Progress {
  /** Sets the current amount done. */
  update(done: number): void;
  /** Removes the bar. */
  stop(): void;
}

/**
 * Starts a progress bar if the session is interactive.
 *
 * @param io the streams
 * @param label what is being done (e.g. "import")
 * @param total the amount of work (records, bytes …)
 * @param unit the unit shown after the counts
 * @returns the progress handle (a no-op when not interactive)
 */
export function startProgress(io: Io, label: string, total: number, unit: string): Progress {
  if (!io.interactive || total <= 0) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.progressStream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(Math.min(done, total)),
    stop: () => bar.stop(),
  };
}
