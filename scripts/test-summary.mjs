#!/usr/bin/env node
// Prints the closing line of `npm test`: the Node (vitest JSON) and Deno (JUnit XML) results added up,
// as `total: N passed, N failed` (with skipped tests, if any, after it).
import { readFileSync } from "node:fs";

const [vitestJson, denoXml] = process.argv.slice(2);
const v = JSON.parse(readFileSync(vitestJson, "utf8"));
const xml = readFileSync(denoXml, "utf8");
const attr = (name) => Number(new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
const denoTests = attr("tests");
const denoFailed = attr("failures") + attr("errors");
const denoSkipped = attr("skipped");
const passed = v.numPassedTests + (denoTests - denoFailed - denoSkipped);
const failed = v.numFailedTests + denoFailed;
const skipped = v.numPendingTests + v.numTodoTests + denoSkipped;
console.log(
  `\nNode: ${v.numPassedTests} passed, ${v.numFailedTests} failed; Deno: ${denoTests - denoFailed - denoSkipped} passed, ${denoFailed} failed`,
);
console.log(`total: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
