#!/usr/bin/env node
// Asserts that every workspace member's package.json "exports" and deno.json "exports" name the
// same subpaths, that Deno's entries are the TypeScript sources the `source` condition names, and
// that each built entry (`default`) is the source's path under dist/ with a .js extension.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const members = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).workspace;
const problems = [];
for (const member of members) {
  const dir = join(root, member);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const deno = JSON.parse(readFileSync(join(dir, "deno.json"), "utf8"));
  if (pkg.name !== deno.name)
    problems.push(`${member}: package.json name ${pkg.name} ≠ deno.json name ${deno.name}`);
  const nodeExports = pkg.exports ?? {};
  const denoExports = typeof deno.exports === "string" ? { ".": deno.exports } : (deno.exports ?? {});
  const a = Object.keys(nodeExports).sort().join(",");
  const b = Object.keys(denoExports).sort().join(",");
  if (a !== b) problems.push(`${member}: subpaths differ (package.json: ${a}; deno.json: ${b})`);
  for (const [sub, target] of Object.entries(nodeExports)) {
    if (typeof target !== "object") continue;
    const src = target.source;
    if (denoExports[sub] !== undefined && denoExports[sub] !== src) {
      problems.push(`${member}: "${sub}" Deno → ${denoExports[sub]} but Node source → ${src}`);
    }
    if (!existsSync(join(dir, src))) problems.push(`${member}: "${sub}" source ${src} does not exist`);
    const built = src.replace(/^\.\/src\//, "./dist/").replace(/\.tsx?$/, ".js");
    if (target.default !== built)
      problems.push(`${member}: "${sub}" default should be ${built}, is ${target.default}`);
  }
}
if (problems.length > 0) {
  console.error(`Export maps disagree:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`exports agree in ${members.length} workspace members`);
