import { runBenchmarks } from "./src/run.ts";
process.exitCode = await runBenchmarks(process.argv.slice(2));
