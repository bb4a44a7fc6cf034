#!/usr/bin/env node
// Makes sure the programs the real-server tests need are installed: Dovecot (IMAP, POP3,
// submission), doveadm and openssl; and Courier-IMAP, the second server product, unpacked privately.
// Run by `npm test` before anything else.
//
// Missing and root with apt-get: `apt-get update` and `apt-get install` them (output shown), then
// stop any system Dovecot the package scripts may have started. Missing otherwise: exit 1 naming
// exactly what to install. Present: print the versions and exit 0.
//
// Courier-IMAP conflicts with Dovecot's packages (both provide imap-server): installing it would
// remove Dovecot. So its .debs are fetched with `apt-get download` and unpacked with `dpkg-deb -x`
// into /var/cache/mailreg-mailservers/courier/root (once per machine), with the libraries it needs that a minimal Debian lacks;
// src/courier.ts runs it from there.
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
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

// COURIER_ROOT's parent in src/courier.ts (world-readable: Courier's sessions run as the mail user)
const COURIER_CACHE = "/var/cache/mailreg-mailservers/courier/";
/** Unpacked, never installed (see the top): the server, its login and auth libraries, FAM (gamin). */
const COURIER_DEBS = [
  "courier-imap",
  "courier-base",
  "courier-authlib",
  "libcourier-unicode4",
  "libgamin0",
  "gamin",
  "libidn12",
  "libltdl7",
  "libgdbm6",
  "libglib2.0-0",
];
const COURIER_FILES = [
  "usr/sbin/couriertcpd",
  "usr/lib/courier/courier/imaplogin",
  "usr/bin/imapd",
  "usr/libexec/gam_server",
];

function _courierReady() {
  return COURIER_FILES.every((file) => existsSync(join(COURIER_CACHE, "root", file)));
}

/** Downloads and unpacks Courier-IMAP into the cache (root with apt-get only); exits 1 otherwise. */
function _ensureCourier(isRoot) {
  if (_courierReady()) return `courier-imap ${readFileSync(join(COURIER_CACHE, "version"), "utf8").trim()}`;
  if (!isRoot || _which("apt-get") === undefined || _which("dpkg-deb") === undefined) {
    console.error(
      "ensure-deps: Courier-IMAP is not unpacked. As root on Debian/Ubuntu, run this script again " +
        `(it runs \`apt-get download ${COURIER_DEBS.join(" ")}\` and unpacks them into ${COURIER_CACHE}root; ` +
        "never apt-get install courier-imap: it removes Dovecot)",
    );
    process.exit(1);
  }
  const debs = join(COURIER_CACHE, "debs");
  rmSync(COURIER_CACHE, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  console.log(
    `ensure-deps: fetching Courier-IMAP's packages to unpack them (not install) in ${COURIER_CACHE}`,
  );
  const download = () =>
    spawnSync("apt-get", ["download", ...COURIER_DEBS], { cwd: debs, stdio: "inherit" }).status === 0;
  if (!download()) {
    _run("apt-get", ["update"]);
    if (!download()) {
      console.error(`ensure-deps: \`apt-get download ${COURIER_DEBS.join(" ")}\` failed`);
      process.exit(1);
    }
  }
  for (const file of readdirSync(debs).filter((f) => f.endsWith(".deb")))
    _run("dpkg-deb", ["-x", join(debs, file), join(COURIER_CACHE, "root")]);
  if (!_courierReady()) {
    console.error(`ensure-deps: the unpacked packages lack one of ${COURIER_FILES.join(", ")}`);
    process.exit(1);
  }
  const version =
    readdirSync(debs)
      .find((f) => f.startsWith("courier-imap_"))
      ?.split("_")[1] ?? "?";
  writeFileSync(join(COURIER_CACHE, "version"), `${version}\n`);
  rmSync(debs, { recursive: true, force: true });
  return `courier-imap ${version} (unpacked)`;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const before = _missing();
if (before.length === 0) {
  console.log(`ensure-deps: all present (${_versions()}, ${_ensureCourier(isRoot)})`);
  process.exit(0);
}

const instruction = `apt-get update && apt-get install -y --no-install-recommends ${APT_PACKAGES.join(" ")}`;
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
console.log(`ensure-deps: installed (${_versions()}, ${_ensureCourier(isRoot)})`);
