#!/usr/bin/env node
// What would be published, checked before anything is: for every publishable workspace member
// (packages/* and apps/* that are not private) it packs the tarball npm would publish (`npm pack`,
// which runs `prepack`, the build) into a temporary folder and asserts that
// - no test file (*.test.*), test helper (_test-*) or src/ path is in it, and dist/ and LICENSE are,
// - the package.json inside it has no `source` export condition and no export that leads into src/,
// - every `files` entry of the manifest matched something (a missing build or schema fails here),
// - every package the built code imports is a dependency or peer dependency of it,
// then runs `deno publish --dry-run` in the member's folder (JSR: license, no slow types, excludes).
// Usage: node scripts/check-publish.mjs [--npm-only] [name …]   (default: every publishable member)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const deno = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
// @mailreg/store exports its drizzle tables (`schema`), whose inferred types cannot reasonably be
// written out by hand; JSR takes the package with slow types there (CONTRIBUTING.md, "Publishing").
const SLOW_TYPES_ALLOWED = new Set(["@mailreg/store"]);

const npmOnly = process.argv.includes("--npm-only"); // skip deno publish (quick)
const only = new Set(process.argv.slice(2).filter((a) => a !== "--npm-only"));
const members = ["packages", "apps"].flatMap((parent) =>
  readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, parent, entry.name, "package.json")))
    .map((entry) => join(parent, entry.name)),
);
const publishable = members
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) }))
  .filter(({ pkg }) => pkg.private !== true && (only.size === 0 || only.has(pkg.name)));

const problems = [];
const out = mkdtempSync(join(tmpdir(), "mailreg-publish-"));
try {
  for (const { dir, pkg } of publishable) {
    const json = execFileSync(npm, ["pack", "--json", "--pack-destination", out, "-w", pkg.name], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [packed] = JSON.parse(json);
    const paths = packed.files.map((f) => f.path);
    const bad = (what, list) => {
      if (list.length > 0) problems.push(`${pkg.name}: ${what}: ${list.slice(0, 5).join(", ")}`);
    };
    bad(
      "test files in the tarball",
      paths.filter((p) => /\.test\.|(^|\/)_test-/.test(p)),
    );
    bad(
      "src/ paths in the tarball",
      paths.filter((p) => p.startsWith("src/")),
    );
    bad(
      "missing from the tarball",
      ["LICENSE", "README.md", "package.json"].filter((p) => !paths.includes(p)),
    );
    if (!paths.some((p) => p.startsWith("dist/"))) problems.push(`${pkg.name}: no dist/ in the tarball`);
    // a built file whose source is gone (a stale dist/) would be published too
    bad(
      "built files without a source",
      paths.filter((p) => {
        const base = /^dist\/(.*)\.(?:js|d\.ts|js\.map)$/.exec(p)?.[1];
        return (
          base !== undefined &&
          !existsSync(join(root, dir, "src", `${base}.ts`)) &&
          !existsSync(join(root, dir, "src", `${base}.tsx`))
        );
      }),
    );
    for (const entry of pkg.files ?? []) {
      if (entry.startsWith("!")) continue;
      if (!paths.some((p) => p === entry || p.startsWith(`${entry}/`)))
        problems.push(`${pkg.name}: "files" entry ${entry} matched nothing`);
    }
    // the manifest as it is inside the tarball (npm may not publish the file on disk)
    const tarball = join(out, packed.filename);
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" }),
    );
    // every bare import of the built code is a declared dependency (a test helper importing
    // @mailreg/mailservers or vitest would break a consumer's install)
    const unpacked = join(out, pkg.name.replace(/\W/g, "_"));
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", tarball, "-C", unpacked]);
    const declared = new Set([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = new Set();
    for (const file of paths.filter((p) => p.endsWith(".js"))) {
      const code = readFileSync(join(unpacked, "package", file), "utf8");
      const specifiers = [
        ...code.matchAll(/^\s*(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']/gm),
        ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
        ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1]);
      for (const specifier of specifiers) {
        if (specifier.startsWith(".")) continue;
        if (specifier.startsWith("node:")) continue;
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0];
        if (!declared.has(name)) undeclared.add(`${name} (${file})`);
      }
    }
    bad("imports not in dependencies or peerDependencies", [...undeclared]);
    const exportsText = JSON.stringify(manifest.exports ?? {});
    if (exportsText.includes('"source"'))
      problems.push(`${pkg.name}: the packed package.json has a "source" condition`);
    if (exportsText.includes("./src/"))
      problems.push(`${pkg.name}: the packed package.json exports lead into src/`);
    for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
      const files = typeof target === "string" ? [target] : Object.values(target);
      for (const file of files)
        if (!paths.includes(file.replace(/^\.\//, "")))
          problems.push(`${pkg.name}: export "${sub}" → ${file} is not in the tarball`);
    }

    const args = [
      "publish",
      "--dry-run",
      "--allow-dirty",
      ...(SLOW_TYPES_ALLOWED.has(pkg.name) ? ["--allow-slow-types"] : []),
    ];
    const denoRun = npmOnly
      ? { status: null }
      : spawnSync(deno, args, {
          cwd: join(root, dir),
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1" },
        });
    if (denoRun.status !== 0 && denoRun.status !== null) {
      const text = `${denoRun.stdout}${denoRun.stderr}`;
      const errors = text.split("\n").filter((l) => /^error/.test(l));
      problems.push(`${pkg.name}: deno publish --dry-run failed:\n    ${errors.slice(0, 8).join("\n    ")}`);
    }
    console.log(
      `${pkg.name.padEnd(26)} ${String(paths.length).padStart(4)} files  ${(packed.size / 1024).toFixed(1).padStart(7)} KiB packed  ${(packed.unpackedSize / 1024).toFixed(1).padStart(7)} KiB unpacked  deno publish --dry-run ${denoRun.status === 0 ? "ok" : denoRun.status === null ? "skipped" : "FAILED"}`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(`Not publishable as it stands:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`${publishable.length} packages publishable (npm tarballs and deno publish --dry-run)`);
