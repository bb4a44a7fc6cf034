// Type-checking as a consumer: a file importing every typed export subpath of every package, checked
// by tsc strict with skipLibCheck false (so every published .d.ts is checked too) and the plain ES
// library (no DOM), under moduleResolution nodenext and bundler, and once more with
// customConditions ["source"], a monorepo habit that must not lead into a package's sources.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, walk } from "./run.mjs";

/** The consumer's strict settings, shared by every variant and by the examples' build. */
export const STRICT = {
  strict: true,
  skipLibCheck: false,
  target: "es2022",
  lib: ["es2023"],
  types: ["node"],
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  forceConsistentCasingInFileNames: true,
};

export const VARIANTS = [
  { id: "nodenext", options: { module: "nodenext", moduleResolution: "nodenext" } },
  { id: "bundler", options: { module: "preserve", moduleResolution: "bundler" } },
  {
    id: "nodenext + source condition",
    options: { module: "nodenext", moduleResolution: "nodenext", customConditions: ["source"] },
  },
];

/**
 * Writes `consumer.ts` and one tsconfig per variant into `dir`, runs tsc for each (in parallel) and
 * returns the errors grouped by the package they point at.
 *
 * @param {string} tsc the tsc binary
 * @param {string} dir an installed consumer project
 * @param {{ name: string, subpaths: string[] }[]} packages
 * @returns {Promise<{ id: string, ok: boolean, ms: number, bySubject: Map<string, string[]>, upstream: Map<string, { errors: string[], specifiers: string[] }>, intoSource: string[] }[]>}
 *   `upstream`: a dependency's errors that a file importing only that dependency (what mailreg's types
 *   import of it) has as well: reported, not counted as mailreg's
 */
export async function typecheckConsumer(tsc, dir, packages) {
  const specifiers = packages.flatMap((p) =>
    p.subpaths.map((s) => (s === "." ? p.name : `${p.name}/${s.slice(2)}`)),
  );
  writeFileSync(
    join(dir, "consumer.ts"),
    `${specifiers.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join("\n")}\n` +
      `export const modules = [${specifiers.map((_, i) => `m${i}`).join(", ")}] as const;\n`,
  );
  // a dependency's control run, shared by the variants whose errors in it it covers (tsc is slow)
  const controls = new Map();
  const control = async (i, variant, dependency, errors) => {
    const shared = await controls.get(dependency);
    if (shared !== undefined && errors.every((e) => shared.errors.has(_key(e)))) return shared;
    const own = _alone(tsc, dir, i, variant, dependency);
    if (!controls.has(dependency)) controls.set(dependency, own);
    return own;
  };
  return Promise.all(
    VARIANTS.map(async (variant, i) => {
      const file = `tsconfig.consumer-${i}.json`;
      writeFileSync(
        join(dir, file),
        JSON.stringify(
          { compilerOptions: { ...STRICT, ...variant.options, noEmit: true }, files: ["consumer.ts"] },
          null,
          2,
        ),
      );
      const r = await run(tsc, ["-p", file, "--pretty", "false", "--listFiles"], {
        cwd: dir,
        timeoutMs: 180_000,
      });
      const lines = `${r.stdout}\n${r.stderr}`.split("\n");
      const errors = lines.filter((l) => /error TS\d+/.test(l));
      const intoSource = lines.filter(
        (l) => /node_modules\/@mailreg\/[^/]+\/src\//.test(l) && !/error TS/.test(l),
      );
      const bySubject = groupErrors(
        errors.length > 0 || r.status === 0 ? errors : [`tsc exited with ${r.status}: ${r.stderr}`],
      );
      const upstream = new Map();
      for (const [subject, subjectErrors] of bySubject) {
        if (subject.startsWith("@mailreg/") || subject === "consumer") continue;
        const alone = await control(i, variant, subject, subjectErrors);
        if (alone !== undefined && subjectErrors.every((e) => alone.errors.has(_key(e)))) {
          upstream.set(subject, { errors: subjectErrors, specifiers: alone.specifiers });
          bySubject.delete(subject);
        }
      }
      return {
        id: variant.id,
        ok: bySubject.size === 0 && intoSource.length === 0,
        ms: r.ms,
        bySubject,
        upstream,
        intoSource: intoSource.map((l) => l.slice(l.indexOf("node_modules/"))),
      };
    }),
  );
}

/**
 * Type-checks a file that imports only what the @mailreg packages' .d.ts import from `dependency`,
 * with the same settings: errors it has too are the dependency's own, whoever uses it (not mailreg's).
 */
async function _alone(tsc, dir, i, variant, dependency) {
  const specifiers = new Set();
  const re = new RegExp(
    `(?:from |import\\()["'](${dependency.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?:/[^"']*)?)["']`,
    "g",
  );
  for (const file of walk(join(dir, "node_modules/@mailreg"), (p) => p.endsWith(".d.ts")).picked)
    for (const m of readFileSync(file, "utf8").matchAll(re)) specifiers.add(m[1]);
  if (specifiers.size === 0) return undefined;
  const name = `control-${i}.ts`;
  writeFileSync(
    join(dir, name),
    `${[...specifiers].map((s, k) => `import type * as c${k} from ${JSON.stringify(s)};`).join("\n")}\n` +
      `export type All = [${[...specifiers].map((_, k) => `typeof c${k}`).join(", ")}];\n`,
  );
  const config = `tsconfig.control-${i}.json`;
  writeFileSync(
    join(dir, config),
    JSON.stringify({ compilerOptions: { ...STRICT, ...variant.options, noEmit: true }, files: [name] }),
  );
  const r = await run(tsc, ["-p", config, "--pretty", "false"], { cwd: dir, timeoutMs: 180_000 });
  const errors = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /error TS\d+/.test(l));
  return { specifiers: [...specifiers], errors: new Set(errors.map(_key)) };
}

/** An error line without the project's path: `node_modules/x/y.d.ts(1,2): error TS2307: …`. */
function _key(line) {
  return line.replace(/^.*?node_modules\//, "node_modules/").trim();
}

/** tsc error lines grouped by the package they are in or name (`consumer` when neither). */
export function groupErrors(errors) {
  const by = new Map();
  for (const line of errors) {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1];
    const named = /['"](@mailreg\/[^/'"]+)/.exec(line)?.[1];
    const subject = inPackage ?? named ?? "consumer";
    if (!by.has(subject)) by.set(subject, []);
    by.get(subject).push(line.replace(/^.*?node_modules\//, "node_modules/"));
  }
  return by;
}
