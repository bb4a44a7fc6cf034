/**
 * Installs the peers from Debian's packages when their programs are missing (`apt-get install -y`,
 * after `apt-get update` when the first try fails), and reads installed versions for the report.
 *
 * @module
 */
import { spawnSync } from "node:child_process";

/**
 * Makes sure each program is on PATH, installing the packages that bring the missing ones.
 *
 * @param wanted program → Debian package, e.g. `{ mbsync: "isync" }`
 * @returns the packages that were installed (empty when all were there)
 * @throws {Error} when apt-get fails or a program is still missing afterwards
 */
export function ensurePrograms(wanted: Readonly<Record<string, string>>): string[] {
  const missing = Object.entries(wanted).filter(([program]) => !hasProgram(program));
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  console.log(`installing ${packages.join(" ")} (apt-get install -y) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", ...packages], { env, encoding: "utf8" });
  let result = install();
  if (result.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { env, encoding: "utf8" });
    result = install();
  }
  const still = missing.filter(([program]) => !hasProgram(program)).map(([program]) => program);
  if (result.status !== 0 || still.length > 0) {
    throw new Error(
      `apt-get install ${packages.join(" ")} failed (exit ${result.status}; missing: ${still.join(", ")}): ${(result.stderr ?? "").trim().slice(-500)}`,
    );
  }
  return packages;
}

/**
 * Whether a program is on PATH.
 *
 * @param program the name
 * @returns true when `command -v` finds it
 */
export function hasProgram(program: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).status === 0;
}

/**
 * The installed version of a Debian package.
 *
 * @param pkg the package name
 * @returns its version, or "?" when it is not installed
 */
export function debianVersion(pkg: string): string {
  const result = spawnSync("dpkg-query", ["-W", "-f", `$\{Version}`, pkg], { encoding: "utf8" });
  return result.status === 0 && result.stdout !== "" ? result.stdout : "?";
}
