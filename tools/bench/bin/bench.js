#!/usr/bin/env node
// `npm run bench`: runs the benchmarks (built by `npm run build`). Pass names to run only some,
// e.g. `npm run bench -- registration-file`.
import { runBenchmarks } from "../dist/mod.js";

process.exitCode = await runBenchmarks(process.argv.slice(2));
