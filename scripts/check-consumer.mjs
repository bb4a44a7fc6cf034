#!/usr/bin/env node
// The consumer check: uses mailreg's packages as someone outside this repository would.
//
// Builds, `npm pack`s every member of packages/ and apps/ into a temporary folder outside the
// repository, and installs the tarballs with plain `npm install` into new projects there: one with
// every published package, one per package alone (to measure it), one with core + crypto-registry +
// smtp-resolver (no database may come with them) and a host app on another hono minor version. Then:
// - per package: tarball size, files, installed size with dependencies, import time; the tarball holds
//   no tests, has a LICENSE, and its manifest sends no one into src/; npm warns of no engine mismatch;
// - tsc strict with skipLibCheck false type-checks a file importing every package, with
//   moduleResolution nodenext and bundler, and with customConditions ["source"];
// - each package README's `## Example` builds with tsc and runs with node and with deno, against a
//   real Dovecot and SMTP sink (the EXAMPLE_* variables);
// - smtp-resolver installs in under 10 MB with no native module, and core + crypto-registry +
//   smtp-resolver install and run without @libsql/client;
// - the host app mounts the registration app under /mail; Chromium uses its pages, forms, redirects
//   and the check its API.
// Every failing point is reported (package and problem), not only the first; exit code 1 if any.
//
// Usage: node scripts/check-consumer.mjs [--no-build] [--keep]
//   --no-build  the workspace is built already (npm test builds first)
//   --keep      keep the temporary folder and say where it is
//   --host-only only the host app part (while working on it; the check is not complete then)
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  buildExamples,
  extractExample,
  runExample,
  startExampleServers,
  tempDir,
} from "./consumer/examples.mjs";
import { checkHostApp, chooseHono, honoCopies } from "./consumer/host-app.mjs";
import {
  judgeTarball,
  mailregClosure,
  members,
  packAll,
  packedManifest,
  typedSubpaths,
} from "./consumer/pack.mjs";
import { importTime, installProject, measureProject } from "./consumer/project.mjs";
import { formatBytes, Problems, pool, run, tail } from "./consumer/run.mjs";
import { typecheckConsumer, VARIANTS } from "./consumer/typecheck.mjs";

const { values: opts } = parseArgs({
  options: {
    "no-build": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "host-only": { type: "boolean", default: false },
  },
});
const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const TSC = join(ROOT, "node_modules/.bin/tsc");
const DENO = join(ROOT, "node_modules/.bin/deno");
/** The packages that must come without a database (issue 15: resolve and send for an address). */
const NO_DB = ["@mailreg/core", "@mailreg/crypto-registry", "@mailreg/smtp-resolver"];
const SMALL = { name: "@mailreg/smtp-resolver", maxBytes: 10_000_000 };

const started = performance.now();
const problems = new Problems();
const phases = [];
const phase = async (name, fn) => {
  const t = performance.now();
  process.stderr.write(`consumer check: ${name} …\n`);
  const result = await fn();
  phases.push(`${name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return result;
};

const work = tempDir("mailreg-consumer-");
if (work.startsWith(`${ROOT}/`)) throw new Error(`the temp folder ${work} is inside the repository`);
let servers;
try {
  await main();
} catch (error) {
  problems.add("consumer check", "runs to the end", String(error?.stack ?? error));
  for (const p of problems.list)
    console.log(`\n✗ ${p.subject}: ${p.point}\n    ${p.detail.replaceAll("\n", "\n    ")}`);
} finally {
  await servers?.stop();
  if (opts.keep) console.log(`(kept ${work})`);
  // removing a dozen node_modules folders takes minutes on a busy disk: a detached `rm -rf` does it
  // while the rest of npm test goes on
  else spawn("rm", ["-rf", work], { detached: true, stdio: "ignore" }).unref();
}
process.exit(problems.list.length === 0 ? 0 : 1);

async function main() {
  if (!opts["no-build"])
    await phase("build", async () => {
      const r = await run("npx", ["turbo", "run", "build", "--output-logs=errors-only"], {
        cwd: ROOT,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
        timeoutMs: 600_000,
      });
      if (r.status !== 0) throw new Error(`the build failed:\n${tail(`${r.stdout}\n${r.stderr}`, 30)}`);
    });

  // ---- pack -------------------------------------------------------------------------------------
  const all = members(ROOT);
  const published = all.filter((m) => m.publishable);
  const packed = await phase("npm pack", () => packAll(ROOT, all, join(work, "tarballs")));
  const manifests = new Map();
  for (const m of all) {
    const p = packed.get(m.name);
    if (p === undefined) {
      problems.add(m.name, "npm pack", "npm pack made no tarball");
      continue;
    }
    manifests.set(m.name, await packedManifest(p.file));
  }
  for (const m of published) {
    const p = packed.get(m.name);
    if (p === undefined) continue;
    for (const w of judgeTarball(p, manifests.get(m.name))) problems.add(m.name, w.point, w.detail);
  }
  const tarballDeps = (names) =>
    Object.fromEntries(
      [...new Set(names.flatMap((n) => mailregClosure(n, manifests)))]
        .filter((n) => packed.has(n))
        .map((n) => [n, `file:${packed.get(n).file}`]),
    );

  // ---- install ----------------------------------------------------------------------------------
  const typesNode = JSON.parse(
    readFileSync(join(ROOT, "node_modules/@types/node/package.json"), "utf8"),
  ).version;
  const registration = all.find((m) => m.name === "@mailreg/registration");
  const honoPeer =
    registration === undefined ? undefined : manifests.get(registration.name)?.peerDependencies?.hono;
  const hono = await chooseHono(ROOT, honoPeer);
  const nodeServer = JSON.parse(
    readFileSync(join(ROOT, "node_modules/@hono/node-server/package.json"), "utf8"),
  ).version;
  const projects = opts["host-only"]
    ? []
    : [
        { id: "all", deps: { ...tarballDeps(published.map((m) => m.name)), "@types/node": typesNode } },
        { id: "no-db", deps: { ...tarballDeps(NO_DB), "@types/node": typesNode } },
        ...published.map((m) => ({ id: `alone-${m.short}`, deps: tarballDeps([m.name]), member: m })),
      ];
  if (registration !== undefined && hono.version !== undefined)
    projects.push({
      id: "host",
      deps: { ...tarballDeps([registration.name]), hono: hono.version, "@hono/node-server": nodeServer },
    });
  else
    problems.add(
      "host app (@mailreg/registration under /mail)",
      "a hono of another minor",
      hono.why ?? "no registration app",
    );

  const serversStarting = startExampleServers(ROOT, work).catch((error) => {
    problems.add("test servers", "Dovecot and the SMTP sink start", String(error?.stack ?? error));
    return undefined;
  });
  const installed = new Map();
  await phase(`npm install (${projects.length} projects)`, () =>
    pool(projects, 5, async (p) => {
      const result = await installProject(join(work, p.id), p.deps);
      installed.set(p.id, result);
      if (!result.ok)
        problems.add(p.member?.name ?? `project ${p.id}`, "npm install of the tarballs", result.output);
    }),
  );
  const installMs = [...installed.values()].map((r) => r.ms / 1000);
  phases.push(`(installs ${Math.min(...installMs).toFixed(0)}-${Math.max(...installMs).toFixed(0)} s each)`);
  servers = await serversStarting;
  const ok = (id) => installed.get(id)?.ok === true;

  // engines: npm's EBADENGINE warnings, attributed to the packages whose own install has them
  for (const m of published) {
    const bad = installed.get(`alone-${m.short}`)?.badEngines ?? [];
    if (bad.length > 0)
      problems.add(
        m.name,
        `installs on Node ${process.versions.node} without EBADENGINE`,
        bad.map((b) => `${b.pkg} requires ${b.required}`).join("; "),
      );
  }

  // ---- measure ----------------------------------------------------------------------------------
  const rows = new Map();
  await phase("sizes and import times", () =>
    pool(published, 2, async (m) => {
      const id = `alone-${m.short}`;
      const p = packed.get(m.name);
      const row = { tarball: p?.size, tarballFiles: p?.entryCount };
      rows.set(m.name, row);
      if (!ok(id)) return;
      Object.assign(row, measureProject(join(work, id)));
      const t = await importTime(join(work, id), m.name, 3);
      if (t.error !== undefined) problems.add(m.name, "import in a plain Node program", t.error);
      row.importMs = t.ms;
    }),
  );

  const small = rows.get(SMALL.name);
  if (small?.bytes !== undefined) {
    if (small.bytes >= SMALL.maxBytes)
      problems.add(
        SMALL.name,
        "installs in under 10 MB with its dependencies",
        `${formatBytes(small.bytes)} in ${small.packages} packages`,
      );
    if (small.native.length > 0)
      problems.add(SMALL.name, "installs with no native module", small.native.slice(0, 5).join(", "));
  }
  let noDb;
  if (ok("no-db")) {
    noDb = measureProject(join(work, "no-db"));
    const what = NO_DB.map((n) => n.replace("@mailreg/", "")).join(" + ");
    if (noDb.libsql)
      problems.add(what, "installs without @libsql/client", "node_modules/@libsql/client is there");
    if (noDb.native.length > 0)
      problems.add(what, "installs with no native module", noDb.native.slice(0, 5).join(", "));
    const code = `${NO_DB.map((n, i) => `const m${i} = await import(${JSON.stringify(n)});`).join(" ")} console.log(${NO_DB.map((_, i) => `Object.keys(m${i}).length`).join(" + ")});`;
    const r = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: join(work, "no-db") });
    if (r.status !== 0) problems.add(what, "imports without @libsql/client", tail(r.stderr));
  }

  // ---- type-check, and the README examples beside it (they mostly wait on servers and processes) ----
  const tsc = new Map();
  const typechecked = !ok("all")
    ? Promise.resolve()
    : phase("tsc (nodenext, bundler, source condition)", async () => {
        const results = await typecheckConsumer(
          TSC,
          join(work, "all"),
          published.map((m) => ({ name: m.name, subpaths: typedSubpaths(manifests.get(m.name) ?? {}) })),
        );
        for (const r of results) {
          tsc.set(r.id, r);
          for (const [subject, errors] of r.bySubject)
            problems.add(
              _typesOwner(subject, published, manifests),
              `tsc strict, skipLibCheck false, ${r.id}`,
              `${errors.length} error(s):\n${errors.slice(0, 6).join("\n")}`,
            );
          if (r.intoSource.length > 0) {
            const byPackage = new Map();
            for (const f of r.intoSource) {
              const name = /node_modules\/(@mailreg\/[^/]+)/.exec(f)[1];
              byPackage.set(name, [...(byPackage.get(name) ?? []), f]);
            }
            for (const [name, files] of byPackage)
              problems.add(
                name,
                `tsc ${r.id}: types from dist/, never src/`,
                `${files.length} source file(s) read, e.g. ${files.slice(0, 3).join(", ")}`,
              );
          }
        }
      });

  // ---- README examples --------------------------------------------------------------------------
  const exampleResults = new Map();
  const examplesRun = phase("README examples (tsc, node, deno)", async () => {
    const byProject = new Map();
    for (const m of opts["host-only"] ? [] : published) {
      const readmePath = join(m.dir, "README.md");
      const code = existsSync(readmePath) ? extractExample(readFileSync(readmePath, "utf8")) : undefined;
      if (code === undefined) {
        problems.add(
          m.name,
          "README has an example",
          "no ```ts block in a `## Example` section of README.md",
        );
        continue;
      }
      const project = NO_DB.includes(m.name) ? "no-db" : "all";
      if (!ok(project)) continue;
      byProject.set(project, [...(byProject.get(project) ?? []), { member: m, short: m.short, code }]);
    }
    const runs = [];
    for (const [project, examples] of byProject) {
      const dir = join(work, project);
      const errors = await buildExamples(TSC, dir, examples);
      for (const [key, lines] of errors) {
        const example = examples.find((e) => e.short === key);
        problems.add(
          example?.member.name ?? `examples in ${project} ${key}`,
          "README example type-checks (tsc strict, nodenext)",
          `${lines.length} error(s):\n${lines.slice(0, 6).join("\n")}`,
        );
      }
      for (const e of examples) {
        exampleResults.set(e.member.name, { tsc: !errors.has(e.short) });
        for (const runtime of ["node", "deno"]) runs.push({ dir, e, runtime });
      }
    }
    if (servers === undefined) return;
    await pool(runs, 2, async ({ dir, e, runtime }) => {
      const built = existsSync(join(dir, "build", `${e.short}.js`));
      if (runtime === "node" && !built) return;
      const r = await runExample(runtime, DENO, dir, e.short, await servers.envFor(`${e.short}-${runtime}`));
      exampleResults.get(e.member.name)[runtime] = r.ok;
      if (!r.ok)
        problems.add(
          e.member.name,
          `README example runs on ${runtime === "node" ? "Node" : "Deno"}`,
          r.detail,
        );
    });
  });

  await Promise.all([typechecked, examplesRun]);

  // ---- host app ---------------------------------------------------------------------------------
  let host;
  if (ok("host") && servers !== undefined)
    host = await phase(`host app on hono ${hono.version} under /mail (Chromium)`, async () => {
      const dir = join(work, "host");
      const copies = honoCopies(dir);
      if (copies.length !== 1)
        problems.add(
          "@mailreg/registration",
          "uses the host's hono (a peer), no copy of its own",
          `hono installed ${copies.length} times: ${copies.map((c) => `${c.path} (${c.version})`).join(", ")}`,
        );
      const passed = await problems.guard(
        "host app (@mailreg/registration under /mail)",
        "the check ran",
        () =>
          checkHostApp({
            root: ROOT,
            dir,
            imapPort: servers.dovecot.imapPort,
            pop3Port: servers.dovecot.pop3Port,
            problems,
          }),
      );
      return { passed: passed ?? [], copies };
    });

  // ---- report -----------------------------------------------------------------------------------
  report({ all, published, rows, tsc, exampleResults, noDb, hono, host });
}

/** A tsc error's subject in words: a dependency's own types are named with the package that brings it. */
function _typesOwner(subject, published, manifests) {
  if (subject.startsWith("@mailreg/") || subject === "consumer") return subject;
  const by = published
    .filter((m) => Object.hasOwn(manifests.get(m.name)?.dependencies ?? {}, subject))
    .map((m) => m.name);
  return `${subject} (types of a dependency${by.length > 0 ? ` of ${by.join(", ")}` : ""})`;
}

function report({ all, published, rows, tsc, exampleResults, noDb, hono, host }) {
  const mark = (v) => (v === true ? "ok" : v === false ? "FAIL" : "-");
  const header = [
    "package",
    "tarball",
    "files",
    "installed",
    "pkgs",
    "native",
    "import",
    ...VARIANTS.map((v) => `tsc ${v.id.split(" ")[0]}${v.id.includes("source") ? "+src" : ""}`),
    "example tsc",
    "node",
    "deno",
  ];
  const body = [];
  for (const m of all) {
    if (!m.publishable) {
      body.push([m.name, "private", ...Array(header.length - 2).fill("")]);
      continue;
    }
    const r = rows.get(m.name) ?? {};
    const ex = exampleResults.get(m.name) ?? {};
    body.push([
      m.name,
      formatBytes(r.tarball),
      r.tarballFiles === undefined ? "-" : String(r.tarballFiles),
      formatBytes(r.bytes),
      r.packages === undefined ? "-" : String(r.packages),
      r.native === undefined ? "-" : r.native.length === 0 ? "none" : String(r.native.length),
      r.importMs === undefined ? "-" : `${Math.round(r.importMs)} ms`,
      ...VARIANTS.map((v) => {
        const t = tsc.get(v.id);
        if (t === undefined) return "-";
        return mark(
          ![...t.bySubject.keys()].includes(m.name) && !t.intoSource.some((f) => f.includes(`${m.name}/`)),
        );
      }),
      mark(ex.tsc),
      mark(ex.node),
      mark(ex.deno),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(
    `\nConsumer check: ${published.length} published packages, installed from their tarballs outside the repository`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of body) console.log(line(row));
  console.log("");
  if (all.some((m) => !m.publishable))
    console.log("private: not published, so not measured (registration is still packed for the host app)");
  if (noDb !== undefined)
    console.log(
      `core + crypto-registry + smtp-resolver: ${noDb.packages} packages, ${formatBytes(noDb.bytes)}, ` +
        `@libsql/client ${noDb.libsql ? "INSTALLED" : "absent"}, native modules: ${noDb.native.length === 0 ? "none" : noDb.native.length}`,
    );
  for (const [id, t] of tsc)
    console.log(
      `tsc strict, skipLibCheck false, ${id}: ${t.ok ? "ok" : "FAIL"} (${(t.ms / 1000).toFixed(1)} s)`,
    );
  // a dependency whose own .d.ts fail even when imported alone: said, not counted against mailreg
  const upstream = new Map();
  for (const t of tsc.values())
    for (const [dep, u] of t.upstream)
      upstream.set(dep, { ...u, variants: [...(upstream.get(dep)?.variants ?? []), t.id] });
  for (const [dep, u] of upstream) {
    const by = published.filter((m) => Object.hasOwn(m.manifest.dependencies ?? {}, dep)).map((m) => m.name);
    console.log(
      `  note: ${dep}'s own .d.ts have ${u.errors.length} error(s) with skipLibCheck false even imported alone ` +
        `(${u.specifiers.join(", ")}; ${u.variants.join(", ")}), e.g. ${u.errors[0].replace(/^node_modules\//, "")}; ` +
        `a consumer meets them through the types of ${by.join(", ") || "a package"}; not counted as mailreg's`,
    );
  }
  if (host !== undefined)
    console.log(
      `host app on hono ${hono.version} (workspace ${hono.workspace}), registration under /mail: ${host.passed.length} point(s) passed` +
        (host.passed.length > 0 ? `\n  ${host.passed.join("\n  ")}` : ""),
    );
  console.log(`time: ${phases.join(", ")}; total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (problems.list.length === 0) {
    console.log("\nconsumer check: every point passed");
    return;
  }
  console.log(`\nconsumer check FAILED: ${problems.list.length} problem(s)`);
  // grouped by package, in the table's order (then the other subjects), each group in the order found
  const rank = (subject) => {
    const i = all.findIndex((m) => subject === m.name || subject.startsWith(`${m.name} `));
    return i < 0 ? all.length : i;
  };
  const sorted = problems.list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p.subject) - rank(b.p.subject) || a.i - b.i);
  for (const { p } of sorted) {
    console.log(`\n✗ ${p.subject}: ${p.point}`);
    console.log(
      p.detail
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
    );
  }
}
