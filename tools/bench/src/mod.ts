/**
 * Benchmarks that print figures and ratios (never timed tests).
 *
 * @module
 */
export type { Benchmark, BenchOutcome, BenchResult } from "./benchmark.ts";
export { registrationFileBenchmark } from "./registration-file.ts";
export { runBenchmarks } from "./run.ts";
