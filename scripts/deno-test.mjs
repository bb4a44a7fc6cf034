#!/usr/bin/env node
// Runs the Deno suite (`*.deno.test.ts` files) with the `deno` binary from the npm package.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let deno;
try {
  deno = require.resolve("deno/bin.cjs");
} catch {
  console.error("The deno npm package is missing: run `npm install` at the repository root");
  process.exit(1);
}
const args = ["test", "-A", "--no-prompt", ...process.argv.slice(2)];
const r = spawnSync(process.execPath, [deno, ...args], { stdio: "inherit" });
process.exit(r.status ?? 1);
