/**
 * Runs benchmarks by name and prints their figures as a table.
 *
 * @module
 */
import type { Benchmark, BenchResult } from "./benchmark.ts";
import { imapSyncBenchmark } from "./imap-sync.ts";
import { messageSearchBenchmark } from "./message-search.ts";
import { peersBenchmark } from "./peers.ts";
import { registrationFileBenchmark } from "./registration-file.ts";
import { registrationLoadBenchmark } from "./registration-load.ts";
import { registrationSubmitBenchmark } from "./registration-submit.ts";
import { scaleBenchmark } from "./scale.ts";
import { smtpSendBenchmark } from "./smtp-send.ts";

/** Every benchmark; adding one is a new file and one line here. */
export const BENCHMARKS: readonly Benchmark[] = [
  registrationFileBenchmark,
  imapSyncBenchmark,
  smtpSendBenchmark,
  registrationSubmitBenchmark,
  registrationLoadBenchmark,
  peersBenchmark,
  scaleBenchmark,
  messageSearchBenchmark,
];

/** What `npm run bench` runs when no benchmark is named. */
export const DEFAULT_BENCHMARK = "peers";

/**
 * Runs the named benchmarks (`peers` when none is named, every one for `all`); `key=value`
 * arguments are passed to each.
 *
 * @param argv benchmark names and `key=value` arguments
 * @returns the exit code: 1 when a benchmark's own check failed
 */
export async function runBenchmarks(argv: string[]): Promise<number> {
  const args = Object.fromEntries(
    argv.filter((a) => a.includes("=")).map((a) => a.split("=", 2) as [string, string]),
  );
  const named = argv.filter((a) => !a.includes("="));
  const names = named.length === 0 ? [DEFAULT_BENCHMARK] : named;
  const chosen = names.includes("all") ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  if (chosen.length === 0) {
    console.error(`unknown benchmark; choose from: all, ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    return 2;
  }
  let failed = false;
  for (const bench of chosen) {
    console.log(`\n## ${bench.name}: ${bench.summary}\n`);
    const outcome = await bench.run(args);
    if (outcome.markdown !== undefined) console.log(outcome.markdown);
    else _printSteps(outcome.results);
    for (const note of outcome.notes) console.log(`\n${note}`);
    if (!outcome.ok) {
      console.log("CHECK FAILED");
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function _printSteps(results: readonly BenchResult[]): void {
  console.log("| step | records | seconds | records/s | MB |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.step} | ${r.records} | ${r.seconds.toFixed(2)} | ${r.perSecond.toLocaleString("en")} | ${r.mb?.toFixed(1) ?? ""} |`,
    );
  }
}
