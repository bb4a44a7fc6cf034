#!/usr/bin/env node
// `npm run docs`: an HTML reference of every package and app (deno doc --html), one site per member
// under docs/api/<name>/ (its entry points as deno.json exports them, module docs rendered), and
// docs/api/index.html linking them with each package's description. docs/ is git-ignored.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const deno = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
const outRoot = join(root, "docs", "api");
const html = (s) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

const members = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).workspace.map((m) =>
  m.replace(/^\.\//, ""),
);
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });
const rows = [];
for (const member of members) {
  const dir = join(root, member);
  const denoJson = JSON.parse(readFileSync(join(dir, "deno.json"), "utf8"));
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const exportsMap = typeof denoJson.exports === "string" ? { ".": denoJson.exports } : denoJson.exports;
  const entries = Object.values(exportsMap).filter((file) => /\.tsx?$/.test(file));
  const short = denoJson.name.replace(/^@mailreg\//, "");
  const output = join(outRoot, short);
  const run = spawnSync(
    deno,
    ["doc", "--html", "--quiet", `--name=${denoJson.name}`, `--output=${output}`, ...entries],
    { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  if (run.status !== 0 || !existsSync(join(output, "index.html"))) {
    console.error(`deno doc failed for ${denoJson.name}:\n${run.stderr}`);
    process.exit(1);
  }
  const pages = readdirSync(output, { recursive: true }).filter((f) => String(f).endsWith(".html")).length;
  console.log(`${denoJson.name.padEnd(26)} ${String(pages).padStart(4)} pages  docs/api/${short}/index.html`);
  rows.push(
    `<li><a href="./${short}/index.html"><code>${html(denoJson.name)}</code></a> — ${html(pkg.description ?? "")}</li>`,
  );
}
writeFileSync(
  join(outRoot, "index.html"),
  `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>mailreg API reference</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}li{margin:.5rem 0}</style>
<h1>mailreg API reference</h1>
<p>One reference per package, generated from the sources by <code>deno doc --html</code>.</p>
<ul>
${rows.join("\n")}
</ul>
</html>
`,
);
console.log(`wrote docs/api/index.html (${rows.length} packages)`);
