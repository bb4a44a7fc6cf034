// Type-checking as a consumer: a file importing every typed export subpath of every package, checked
// by tsc strict with skipLibCheck false (so every published .d.ts is checked too) and the plain ES
// library (no DOM), under moduleResolution nodenext and bundler, and once more with
// customConditions ["source"], a monorepo habit that must not lead into a package's sources.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run.mjs";

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
 * @returns {Promise<{ id: string, ok: boolean, ms: number, bySubject: Map<string, string[]>, intoSource: string[] }[]>}
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
      return {
        id: variant.id,
        ok: r.status === 0 && errors.length === 0 && intoSource.length === 0,
        ms: r.ms,
        bySubject: groupErrors(
          errors.length > 0 || r.status === 0 ? errors : [`tsc exited with ${r.status}: ${r.stderr}`],
        ),
        intoSource: intoSource.map((l) => l.slice(l.indexOf("node_modules/"))),
      };
    }),
  );
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
