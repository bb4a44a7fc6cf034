#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the browser tests (apps/registration drives it with
// playwright-core at /usr/bin/chromium). Present: print its version, exit 0. Missing and root with
// apt-get: `apt-get update` and `apt-get install chromium`, then check again. Missing otherwise:
// exit 1 naming the package to install.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
const PACKAGE = "chromium";

function version() {
  const r = spawnSync(CHROMIUM, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "(version unknown)";
}

function run(command, args) {
  console.log(`$ ${command} ${args.join(" ")}`);
  const r = spawnSync(command, args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return r.status === 0;
}

if (existsSync(CHROMIUM)) {
  console.log(`chromium: ${version()}`);
  process.exit(0);
}
const root = process.getuid?.() === 0;
const apt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
if (!root || !apt) {
  console.error(
    `ensure-chromium: ${CHROMIUM} is missing; install Debian's package \`${PACKAGE}\` (as root: apt-get install ${PACKAGE})`,
  );
  process.exit(1);
}
if (!run("apt-get", ["update"]) || !run("apt-get", ["install", "-y", "--no-install-recommends", PACKAGE])) {
  console.error(`ensure-chromium: installing the Debian package \`${PACKAGE}\` failed`);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`ensure-chromium: the package \`${PACKAGE}\` is installed but ${CHROMIUM} is still missing`);
  process.exit(1);
}
console.log(`chromium: ${version()}`);
