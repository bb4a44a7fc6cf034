#!/usr/bin/env node
// Type-checks every Deno workspace member's exported entry points with `deno check`, using the
// deno binary from the npm package, so a package that stops running under Deno fails CI.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const deno = createRequire(import.meta.url).resolve("deno/bin.cjs");
const members = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).workspace;
const files = members.flatMap((member) => {
  const exports = JSON.parse(readFileSync(join(root, member, "deno.json"), "utf8")).exports ?? {};
  const targets = typeof exports === "string" ? [exports] : Object.values(exports);
  return targets.filter((t) => /\.tsx?$/.test(t)).map((t) => join(member, t));
});
console.log(`deno check: ${files.length} entry points of ${members.length} members`);
const r = spawnSync(process.execPath, [deno, "check", "--quiet", ...files], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
