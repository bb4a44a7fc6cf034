/**
 * The peers benchmark's report: rows as a Markdown table, written to `results/latest.json` and
 * `results/latest.md`, and into the README between the `peers:start` / `peers:end` markers.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** One tool, one scenario, one corpus. */
export interface PeerRow {
  tool: string;
  scenario: "initial" | "no-change";
  /** Which corpus ("A: INBOX", "B: 5 folders"). */
  corpus: string;
  messages: number;
  seconds: number;
  /** Messages per second (no-change: messages checked per second). */
  msgsPerSec: number;
  /** MiB per second; null for no-change (nothing is transferred). */
  mbPerSec: number | null;
  /** Peak RSS of the tool's process tree, MiB. */
  rssMb: number;
  /** seconds ÷ mailreg's seconds for the same corpus and scenario (> 1: slower than mailreg). */
  ratioToMailreg: number | null;
  ok: boolean;
  error?: string;
  /** mailreg's process, phase by phase (ms): start-up and module loading, opening, closing. */
  phases?: Record<string, number>;
  /** Fastest and slowest seconds when run more than once. */
  spreadSeconds?: [number, number];
}

/** The whole report. */
export interface PeersReport {
  /** When the run started (the machine's load is from then too). */
  date: string;
  machine: { cpus: number; cpuModel: string; ramGiB: number; node: string; loadAverage: number[] };
  versions: Record<string, string>;
  runs: number;
  rows: PeerRow[];
}

/**
 * The report as Markdown: a heading line with date and machine, then one table.
 *
 * @param report the report
 * @returns Markdown text
 */
export function renderPeersTable(report: PeersReport): string {
  const m = report.machine;
  const lines = [
    `${report.date.slice(0, 16).replace("T", " ")} UTC, ${m.cpus} cores (${m.cpuModel}), ${m.ramGiB} GiB RAM, Node ${m.node}, load ${m.loadAverage.join(" ")} at start${report.runs > 1 ? `, best of ${report.runs} runs` : ""}`,
    "",
    "| corpus | scenario | tool | seconds | msg/s | MB/s | peak RSS MB | × mailreg's time |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of report.rows) {
    const seconds =
      r.spreadSeconds === undefined
        ? r.seconds.toFixed(2)
        : `${r.seconds.toFixed(2)} (–${r.spreadSeconds[1].toFixed(2)})`;
    lines.push(
      r.ok
        ? `| ${r.corpus} | ${r.scenario} | ${r.tool} | ${seconds} | ${r.msgsPerSec.toLocaleString("en")} | ${r.mbPerSec?.toFixed(1) ?? "–"} | ${r.rssMb.toFixed(0)} | ${r.ratioToMailreg?.toFixed(2) ?? "–"} |`
        : `| ${r.corpus} | ${r.scenario} | ${r.tool} | FAILED | | | | ${(r.error ?? "").replaceAll("|", "/")} |`,
    );
  }
  lines.push("", `Versions: ${Object.values(report.versions).join(", ")}.`);
  return lines.join("\n");
}

/**
 * Writes `results/latest.json`, `results/latest.md` and the README's table.
 *
 * @param report the report
 * @returns the files written
 */
export async function writePeersReport(report: PeersReport): Promise<string[]> {
  const results = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(results, { recursive: true });
  const markdown = renderPeersTable(report);
  await writeFile(`${results}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${results}latest.md`, `# mailreg vs its peers\n\n${markdown}\n`);
  const inReadme = await writeReadmeSection("peers", markdown);
  return [`${results}latest.json`, `${results}latest.md`, ...(inReadme ? ["README.md"] : [])];
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in the bench README.
 *
 * @param name the markers' name
 * @param markdown the new text
 * @returns whether the markers were found
 */
export async function writeReadmeSection(name: string, markdown: string): Promise<boolean> {
  const readme = fileURLToPath(new URL("../README.md", import.meta.url));
  const text = await readFile(readme, "utf8");
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  await writeFile(readme, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
  return true;
}
