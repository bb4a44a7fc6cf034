#!/usr/bin/env node
// Runs the Deno suite — every `*.deno.test.ts` file of the workspace — with the `deno` binary from
// the npm package. Extra arguments are passed to `deno test`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
let deno;
try {
  deno = require.resolve("deno/bin.cjs");
} catch {
  console.error("The deno npm package is missing: run `npm install` at the repository root");
  process.exit(1);
}

function find(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) find(path, out);
    else if (entry.name.endsWith(".deno.test.ts")) out.push(relative(root, path));
  }
  return out;
}
const files = ["packages", "apps", "tools"].flatMap((d) => find(join(root, d), []));
if (files.length === 0) {
  console.error("No *.deno.test.ts files found");
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [deno, "test", "-A", "--no-prompt", ...process.argv.slice(2), ...files],
  {
    stdio: "inherit",
    cwd: root,
  },
);
process.exit(r.status ?? 1);
