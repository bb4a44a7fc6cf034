// A consumer project: a new folder with a package.json ("type": "module") whose dependencies are
// tarballs (and registry packages), installed with plain `npm install`, then measured as it lies on disk.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median, run, tail, walk } from "./run.mjs";

/**
 * Creates and installs a project.
 *
 * @param {string} dir a new folder
 * @param {Record<string, string>} dependencies name -> spec (`file:/…/x.tgz`, a version)
 * @returns {Promise<{ dir: string, ok: boolean, ms: number, output: string, badEngines: { pkg: string, required: string }[] }>}
 */
export async function installProject(dir, dependencies) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "mailreg-consumer", private: true, type: "module", dependencies }, null, 2)}\n`,
  );
  const r = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=warn"], {
    cwd: dir,
    env: { ...process.env, npm_config_update_notifier: "false" },
    timeoutMs: 300_000,
  });
  const output = `${r.stdout}\n${r.stderr}`;
  return {
    dir,
    ok: r.status === 0,
    ms: r.ms,
    output: r.status === 0 ? output : tail(output, 25),
    badEngines: _badEngines(output),
  };
}

/** The packages npm warned about with EBADENGINE, with the Node versions they require. */
function _badEngines(output) {
  const found = [];
  const re = /EBADENGINE\s+package: '([^']+)',\s*\n.*EBADENGINE\s+required: (\{[^}]*\})/g;
  for (const m of output.matchAll(re)) found.push({ pkg: m[1], required: m[2] });
  return found;
}

/**
 * What an installed project holds: bytes and files under node_modules, the number of packages npm
 * installed (from its lockfile), native modules (`*.node`) and whether `@libsql/client` is there.
 *
 * @param {string} dir
 */
export function measureProject(dir) {
  const nodeModules = join(dir, "node_modules");
  const { bytes, files, picked } = walk(nodeModules, (p) => p.endsWith(".node"));
  let packages = 0;
  try {
    const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
    packages = Object.keys(lock.packages ?? {}).filter((k) => k.includes("node_modules/")).length;
  } catch {
    // no lockfile: the install failed
  }
  return {
    bytes,
    files,
    packages,
    native: picked.map((p) => p.slice(nodeModules.length + 1)),
    libsql: existsSync(join(nodeModules, "@libsql/client")),
  };
}

/**
 * Import time of a package in a project: `await import(name)` in a new Node process, the median of
 * `times` runs (the first run warms the file cache and is not counted).
 *
 * @param {string} dir
 * @param {string} specifier
 * @param {number} [times]
 * @returns {Promise<{ ms?: number, error?: string }>}
 */
export async function importTime(dir, specifier, times = 5) {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const values = [];
  for (let i = 0; i <= times; i++) {
    const r = await run(process.execPath, ["--input-type=module", "-e", code], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    if (r.status !== 0) return { error: tail(r.stderr, 8) };
    if (i > 0) values.push(Number(r.stdout));
  }
  return { ms: median(values) };
}
