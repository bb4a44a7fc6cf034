/**
 * The shape of a benchmark: it runs, returns rows of figures, and says whether its own checks held
 * (a benchmark that loses data fails, however fast it was).
 *
 * @module
 */

/** One measured step. */
export interface BenchResult {
  step: string;
  records: number;
  seconds: number;
  perSecond: number;
  mb?: number;
}

/** What a benchmark reports. */
export interface BenchOutcome {
  results: BenchResult[];
  /** A table of its own, printed instead of the step table when given. */
  markdown?: string;
  /** Extra lines for the report (ratios, checks). */
  notes: string[];
  /** False when a check failed (data lost, output differs). */
  ok: boolean;
}

/** A benchmark. */
export interface Benchmark {
  name: string;
  summary: string;
  run(args: Record<string, string>): Promise<BenchOutcome>;
}
