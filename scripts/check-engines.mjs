#!/usr/bin/env node
// mailreg promises Node 20.19: every package in package-lock.json that declares `engines.node` must
// allow 20.19.0 (npm only warns, EBADENGINE; this fails). Knows the range syntax engines fields use:
// `||`, comparators (>=, >, <=, <, =), `^`, `~`, x-ranges (10.x, 10.*, 10) and hyphen-free lists.
// Usage: node scripts/check-engines.mjs [version]   (default 20.19.0)
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const target = (process.argv[2] ?? "20.19.0").split(".").map(Number);

const parse = (v) => {
  const parts = v.replace(/^v/, "").split(".");
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : null));
  return {
    nums: [nums[0] ?? null, nums[1] ?? null, nums[2] ?? null],
    given: parts.filter((p) => /^\d+$/.test(p)).length,
  };
};
const cmp = (a, b) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0) ? -1 : 1;
  return 0;
};
const fill = (nums) => nums.map((n) => n ?? 0);
// the exclusive upper bound of a partial version (10 → 11.0.0, 10.2 → 10.3.0)
const bumpPartial = ({ nums, given }) =>
  given <= 1 ? [nums[0] + 1, 0, 0] : given === 2 ? [nums[0], nums[1] + 1, 0] : fill(nums);

function satisfiesComparator(op, version) {
  const v = parse(version);
  const lo = fill(v.nums);
  switch (op) {
    case ">=":
      return cmp(target, lo) >= 0;
    case ">":
      return v.given < 3 ? cmp(target, bumpPartial(v)) >= 0 : cmp(target, lo) > 0;
    case "<=":
      return v.given < 3 ? cmp(target, bumpPartial(v)) < 0 : cmp(target, lo) <= 0;
    case "<":
      return cmp(target, lo) < 0;
    case "^": {
      const i = lo[0] !== 0 || v.given === 1 ? 0 : lo[1] !== 0 || v.given === 2 ? 1 : 2;
      const hi = [0, 0, 0].map((_, k) => (k < i ? lo[k] : k === i ? lo[k] + 1 : 0));
      return cmp(target, lo) >= 0 && cmp(target, hi) < 0;
    }
    case "~": {
      const hi = v.given <= 1 ? [lo[0] + 1, 0, 0] : [lo[0], lo[1] + 1, 0];
      return cmp(target, lo) >= 0 && cmp(target, hi) < 0;
    }
    default: // "=" or a bare (possibly partial) version
      return v.given < 3 ? cmp(target, lo) >= 0 && cmp(target, bumpPartial(v)) < 0 : cmp(target, lo) === 0;
  }
}

/** Whether the target version satisfies an engines range. */
export function satisfies(range) {
  return range.split("||").some((alternative) => {
    const text = alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1");
    if (text === "" || text === "*" || text === "x") return true;
    return text.split(/\s+/).every((comparator) => {
      const m = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(comparator);
      return m !== null && satisfiesComparator(m[1] ?? "=", m[2].replace(/\.[x*]/gi, ""));
    });
  });
}

const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const refused = Object.entries(lock.packages ?? {})
  .filter(
    ([path, entry]) =>
      path !== "" && typeof entry.engines?.node === "string" && !satisfies(entry.engines.node),
  )
  .map(
    ([path, entry]) =>
      `${path.replace(/^.*node_modules\//, "")}@${entry.version}: engines.node ${entry.engines.node}`,
  );
if (refused.length > 0) {
  console.error(`Dependencies that refuse Node ${target.join(".")}:\n  ${refused.join("\n  ")}`);
  process.exit(1);
}
console.log(`every package in package-lock.json allows Node ${target.join(".")}`);
