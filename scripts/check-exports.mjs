#!/usr/bin/env node
// Asserts, for every workspace member, that its three maps of export subpaths agree:
// - deno.json "exports" (what Deno runs: the TypeScript sources under src/),
// - package.json "exports" (what is published: only built files under dist/, `types` and `default`,
//   each the source's path under dist/ with .d.ts/.js; no condition that leads into src/),
// - tsconfig.base.json "paths" (how the workspace's type-checker, vitest and tsx reach the sources
//   without a build): one entry per subpath, naming the same source file as deno.json.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const members = readJson(join(root, "package.json")).workspaces.flatMap((glob) => {
  const parent = glob.replace(/\/\*$/, "");
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, parent, entry.name, "package.json")))
    .map((entry) => `${parent}/${entry.name}`);
});
const paths = readJson(join(root, "tsconfig.base.json")).compilerOptions.paths ?? {};
const seenPaths = new Set();
const problems = [];
for (const member of members) {
  const dir = join(root, member);
  const pkg = readJson(join(dir, "package.json"));
  if (!existsSync(join(dir, "deno.json"))) {
    problems.push(`${member}: no deno.json`);
    continue;
  }
  const deno = readJson(join(dir, "deno.json"));
  if (pkg.name !== deno.name)
    problems.push(`${member}: package.json name ${pkg.name} ≠ deno.json name ${deno.name}`);
  const nodeExports = pkg.exports ?? {};
  const denoExports = typeof deno.exports === "string" ? { ".": deno.exports } : (deno.exports ?? {});
  const a = Object.keys(nodeExports).sort().join(",");
  const b = Object.keys(denoExports).sort().join(",");
  if (a !== b) problems.push(`${member}: subpaths differ (package.json: ${a}; deno.json: ${b})`);
  for (const [sub, src] of Object.entries(denoExports)) {
    if (!existsSync(join(dir, src))) problems.push(`${member}: "${sub}" ${src} does not exist`);
    const target = nodeExports[sub];
    if (!/^\.\/src\/.*\.tsx?$/.test(src)) {
      if (target !== src)
        problems.push(`${member}: "${sub}" Deno → ${src} but Node → ${JSON.stringify(target)}`);
      continue;
    }
    const built = src.replace(/^\.\/src\//, "./dist/").replace(/\.tsx?$/, "");
    const want = { types: `${built}.d.ts`, default: `${built}.js` };
    if (JSON.stringify(target) !== JSON.stringify(want))
      problems.push(`${member}: "${sub}" should be ${JSON.stringify(want)}, is ${JSON.stringify(target)}`);
    const specifier = `${pkg.name}${sub.slice(1)}`;
    const mapped = paths[specifier];
    seenPaths.add(specifier);
    if (JSON.stringify(mapped) !== JSON.stringify([`./${member}/${src.slice(2)}`]))
      problems.push(
        `${member}: tsconfig.base.json paths["${specifier}"] should be ["./${member}/${src.slice(2)}"], is ${JSON.stringify(mapped)}`,
      );
  }
  // deno doc reads a module doc that starts with "@word" as a tag, and shows no description
  const modDoc = existsSync(join(dir, "src/mod.ts"))
    ? /^\/\*\*\s*\n?\s*\*?\s*(\S+)/.exec(readFileSync(join(dir, "src/mod.ts"), "utf8"))
    : null;
  if (modDoc?.[1]?.startsWith("@"))
    problems.push(
      `${member}: src/mod.ts's module doc starts with ${modDoc[1]} (deno doc takes it for a tag)`,
    );
  if (JSON.stringify(nodeExports).includes("./src/"))
    problems.push(`${member}: package.json "exports" lead into src/ (published manifests name dist/ only)`);
}
for (const specifier of Object.keys(paths))
  if (!seenPaths.has(specifier))
    problems.push(`tsconfig.base.json paths["${specifier}"] is no export of any workspace member`);
if (problems.length > 0) {
  console.error(`Export maps disagree:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`exports agree in ${members.length} workspace members (package.json, deno.json, tsconfig paths)`);
