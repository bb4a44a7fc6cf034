// Packing: which members are published, `npm pack` of each into a folder outside the repository, and
// what a tarball holds (its manifest, its files) judged as a consumer would meet it.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run, tail } from "./run.mjs";

/**
 * @typedef {object} Member
 * @property {string} name        e.g. `@mailreg/core`
 * @property {string} short       e.g. `core`
 * @property {string} dir         the member's folder in the repository
 * @property {boolean} publishable not `private`
 * @property {Record<string, unknown>} manifest its package.json
 */

/**
 * The members under packages/ and apps/ (tools/ are private test tooling and never packed).
 *
 * @param {string} root the repository
 * @returns {Member[]}
 */
export function members(root) {
  const found = [];
  for (const group of ["packages", "apps"]) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, group, entry.name);
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      found.push({
        name: manifest.name,
        short: manifest.name.replace(/^@mailreg\//, ""),
        dir,
        publishable: manifest.private !== true,
        manifest,
      });
    }
  }
  return found;
}

/**
 * `npm pack` of the members into `dest`, one npm call. Scripts are skipped: the check builds first
 * (turbo, cached), and a prepack per package would build each again.
 *
 * @param {string} root
 * @param {readonly Member[]} list
 * @param {string} dest
 * @returns {Promise<Map<string, { file: string, size: number, unpackedSize: number, entryCount: number, files: string[] }>>}
 */
export async function packAll(root, list, dest) {
  mkdirSync(dest, { recursive: true });
  const args = ["pack", "--json", "--ignore-scripts", "--pack-destination", dest];
  for (const m of list) args.push("-w", m.dir);
  const r = await run("npm", args, { cwd: root });
  if (r.status !== 0) throw new Error(`npm pack failed:\n${tail(r.stderr)}`);
  const out = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
  const packed = new Map();
  for (const p of out) {
    packed.set(p.name, {
      file: join(dest, p.filename),
      size: p.size,
      unpackedSize: p.unpackedSize,
      entryCount: p.entryCount,
      files: p.files.map((f) => f.path),
    });
  }
  return packed;
}

/** Reads `package/package.json` out of a tarball. */
export async function packedManifest(tarball) {
  const r = await run("tar", ["-xzOf", tarball, "package/package.json"]);
  if (r.status !== 0) throw new Error(`cannot read package.json from ${tarball}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const TEST_FILE = /(^|\/)[^/]*\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)_test-[^/]*$|(^|\/)(test|tests|__tests__)\//;

/**
 * Judges one tarball: no test files or test helpers, a LICENSE and README, no export condition or
 * target that sends a consumer into TypeScript sources, every export target present, `engines`.
 *
 * @param {{ files: string[] }} packed
 * @param {Record<string, any>} manifest the packed package.json
 * @returns {{ point: string, detail: string }[]} what is wrong
 */
export function judgeTarball(packed, manifest) {
  const wrong = [];
  const tests = packed.files.filter((f) => TEST_FILE.test(f));
  if (tests.length > 0)
    wrong.push({
      point: "no test files in the tarball",
      detail: `${tests.length} test file(s), e.g. ${tests.slice(0, 4).join(", ")}`,
    });
  if (!packed.files.some((f) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(f)))
    wrong.push({ point: "LICENSE in the tarball", detail: "no LICENSE file" });
  if (!packed.files.some((f) => /^README\.md$/i.test(f)))
    wrong.push({ point: "README in the tarball", detail: "no README.md" });
  if (manifest.engines?.node === undefined)
    wrong.push({ point: "engines.node declared", detail: "the published manifest has no engines.node" });

  const conditions = [];
  const targets = [];
  const visit = (value, path) => {
    if (typeof value === "string") targets.push({ path, target: value });
    else if (value !== null && typeof value === "object")
      for (const [key, inner] of Object.entries(value)) {
        if (!key.startsWith(".") && ["source", "development", "ts"].includes(key))
          conditions.push(`${path}.${key}`);
        visit(inner, `${path}.${key}`);
      }
  };
  visit(manifest.exports ?? {}, "exports");
  if (conditions.length > 0)
    wrong.push({
      point: "no source condition in the published manifest",
      detail: `${conditions.join(", ")} would send a consumer with that condition into src/`,
    });
  const intoSource = targets.filter(
    (t) =>
      /\.(m|c)?tsx?$/.test(t.target) &&
      !/\.d\.(m|c)?ts$/.test(t.target) &&
      !conditions.some((c) => t.path.startsWith(c)),
  );
  if (intoSource.length > 0)
    wrong.push({
      point: "no export target in TypeScript sources",
      detail: intoSource.map((t) => `${t.path} -> ${t.target}`).join(", "),
    });
  const have = new Set(packed.files);
  const missing = targets.filter((t) => !t.target.includes("*") && !have.has(t.target.replace(/^\.\//, "")));
  if (missing.length > 0)
    wrong.push({
      point: "every export target is in the tarball",
      detail: missing.map((t) => `${t.path} -> ${t.target}`).join(", "),
    });
  return wrong;
}

/** The export subpaths of a manifest that carry types (to import in the type-checked consumer). */
export function typedSubpaths(manifest) {
  const exports = manifest.exports ?? {};
  const subpaths =
    typeof exports === "string" || "types" in exports || "default" in exports ? ["."] : Object.keys(exports);
  // a Deno entry (an app's `./deno`) is for Deno programs, which a Node consumer does not import
  return subpaths.filter((s) => !s.endsWith(".json") && !s.includes("*") && !/(^|\/|\.)deno$/.test(s));
}

/** The `@mailreg/*` packages a manifest needs, directly and through each other (from the packed manifests). */
export function mailregClosure(name, manifests) {
  const seen = new Set();
  const stack = [name];
  while (stack.length > 0) {
    const current = stack.pop();
    if (seen.has(current)) continue;
    seen.add(current);
    const m = manifests.get(current);
    if (m === undefined) continue;
    for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies }))
      if (dep.startsWith("@mailreg/")) stack.push(dep);
  }
  return [...seen];
}
