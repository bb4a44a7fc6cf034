#!/usr/bin/env node
// Makes sure the programs the real-server tests need are installed: Dovecot (IMAP, POP3,
// submission), doveadm and openssl. Run by `npm test` before anything else.
//
// Missing and root with apt-get: `apt-get update` and `apt-get install` them (output shown), then
// stop any system Dovecot the package scripts may have started. Missing otherwise: exit 1 naming
// exactly what to install. Present: print the versions and exit 0.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

const APT_PACKAGES = ["dovecot-imapd", "dovecot-pop3d", "dovecot-submissiond", "openssl"];
const LIBEXEC_DIRS = ["/usr/lib/dovecot", "/usr/libexec/dovecot"];
const SYSTEM_PID_FILE = "/run/dovecot/master.pid";

/** The full path of an executable on PATH (plus the sbin dirs, which non-login shells may lack). */
function _which(name) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What is missing, as human-readable names. */
function _missing() {
  const missing = [];
  for (const tool of ["dovecot", "doveadm", "openssl"]) if (_which(tool) === undefined) missing.push(tool);
  if (!missing.includes("dovecot")) {
    for (const service of ["imap", "pop3", "submission"]) {
      if (!LIBEXEC_DIRS.some((dir) => existsSync(join(dir, service))))
        missing.push(`dovecot ${service} service`);
    }
  }
  return missing;
}

function _run(command, args) {
  console.log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.status !== 0) {
    console.error(
      `ensure-deps: \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal})`,
    );
    process.exit(1);
  }
}

function _alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a system Dovecot (default config, /run/dovecot) that package scripts may have started. */
function _stopSystemDovecot() {
  if (!existsSync(SYSTEM_PID_FILE)) return;
  const pid = Number.parseInt(readFileSync(SYSTEM_PID_FILE, "utf8").trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1 || !_alive(pid)) return;
  console.log(`ensure-deps: stopping the system Dovecot the package started (pid ${pid})`);
  spawnSync(_which("doveadm") ?? "doveadm", ["stop"], { stdio: "inherit" });
  const deadline = Date.now() + 10_000;
  while (_alive(pid) && Date.now() < deadline) spawnSync("sleep", ["0.1"]);
  if (_alive(pid)) process.kill(pid, "SIGKILL");
}

function _versions() {
  const dovecot = spawnSync(_which("dovecot"), ["--version"], { encoding: "utf8" }).stdout.trim();
  const openssl = spawnSync(_which("openssl"), ["version"], { encoding: "utf8" }).stdout.trim();
  return `dovecot ${dovecot}, ${openssl}`;
}

const before = _missing();
if (before.length === 0) {
  console.log(`ensure-deps: all present (${_versions()})`);
  process.exit(0);
}

const instruction = `apt-get update && apt-get install -y --no-install-recommends ${APT_PACKAGES.join(" ")}`;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || _which("apt-get") === undefined) {
  console.error(
    `ensure-deps: missing ${before.join(", ")}.\n` +
      `The real-server tests need Dovecot 2.3 with IMAP, POP3 and submission, and openssl. Install them:\n` +
      `  on Debian/Ubuntu (as root): ${instruction}\n` +
      `  elsewhere: your system's packages for dovecot (imapd, pop3d, submissiond) and openssl`,
  );
  process.exit(1);
}

console.log(`ensure-deps: missing ${before.join(", ")}; installing ${APT_PACKAGES.join(" ")}`);
_run("apt-get", ["update"]);
_run("apt-get", ["install", "-y", "--no-install-recommends", ...APT_PACKAGES]);
_stopSystemDovecot();
const after = _missing();
if (after.length > 0) {
  console.error(`ensure-deps: still missing after install: ${after.join(", ")}`);
  process.exit(1);
}
console.log(`ensure-deps: installed (${_versions()})`);
