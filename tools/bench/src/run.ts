/**
 * Runs benchmarks by name and prints their figures as a table.
 *
 * @module
 */
import type { Benchmark } from "./benchmark.ts";
import { imapSyncBenchmark } from "./imap-sync.ts";
import { registrationFileBenchmark } from "./registration-file.ts";
import { registrationSubmitBenchmark } from "./registration-submit.ts";
import { smtpSendBenchmark } from "./smtp-send.ts";

/** Every benchmark; adding one is a new file and one line here. */
export const BENCHMARKS: readonly Benchmark[] = [
  registrationFileBenchmark,
  imapSyncBenchmark,
  smtpSendBenchmark,
  registrationSubmitBenchmark,
];

/**
 * Runs the named benchmarks (all when none are named); `key=value` arguments are passed to each.
 *
 * @param argv benchmark names and `key=value` arguments
 * @returns the exit code: 1 when a benchmark's own check failed
 */
export async function runBenchmarks(argv: string[]): Promise<number> {
  const args = Object.fromEntries(
    argv.filter((a) => a.includes("=")).map((a) => a.split("=", 2) as [string, string]),
  );
  const names = argv.filter((a) => !a.includes("="));
  const chosen = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  if (chosen.length === 0) {
    console.error(`unknown benchmark; choose from: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    return 2;
  }
  let failed = false;
  for (const bench of chosen) {
    console.log(`\n## ${bench.name}: ${bench.summary}\n`);
    const outcome = await bench.run(args);
    console.log("| step | records | seconds | records/s | MB |");
    console.log("|---|---:|---:|---:|---:|");
    for (const r of outcome.results) {
      console.log(
        `| ${r.step} | ${r.records} | ${r.seconds.toFixed(2)} | ${r.perSecond.toLocaleString("en")} | ${r.mb?.toFixed(1) ?? ""} |`,
      );
    }
    for (const note of outcome.notes) console.log(`\n${note}`);
    if (!outcome.ok) {
      console.log("CHECK FAILED");
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
