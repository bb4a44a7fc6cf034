#!/usr/bin/env node
// Makes sure the programs the real-server tests need are installed: Dovecot (IMAP, POP3,
// submission), doveadm and openssl; and Courier-IMAP and Cyrus IMAP, the other server products,
// unpacked privately.
// Run by `npm test` before anything else.
//
// Missing and root with apt-get: `apt-get update` and `apt-get install` them (output shown), then
// stop any system Dovecot the package scripts may have started. Missing otherwise: exit 1 naming
// exactly what to install. Present: print the versions and exit 0.
//
// Courier-IMAP and Cyrus conflict with Dovecot's packages (they provide imap-server): installing one
// would remove Dovecot. So its .debs are fetched with `apt-get download` and unpacked with `dpkg-deb -x`
// into /var/cache/mailreg-mailservers/{courier,cyrus}/root (once per machine), with the libraries they need that a minimal Debian lacks;
// src/courier.ts and src/cyrus.ts run them from there.
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

// Unpacked, never installed (see the top), each into /var/cache/mailreg-mailservers/<name>/root: the
// parent of COURIER_ROOT (src/courier.ts) and CYRUS_ROOT (src/cyrus.ts); world-readable, because the
// servers' sessions run as the mail user.
const CACHE = "/var/cache/mailreg-mailservers";
const UNPACKED = [
  {
    name: "courier",
    label: "Courier-IMAP",
    // the server, its login and auth libraries, FAM (gamin)
    debs: [
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
    ],
    files: [
      "usr/sbin/couriertcpd",
      "usr/lib/courier/courier/imaplogin",
      "usr/bin/imapd",
      "usr/libexec/gam_server",
    ],
  },
  {
    name: "cyrus",
    label: "Cyrus IMAP",
    // the server, saslpasswd2, SASL with its PLAIN/LOGIN and sasldb plugins, and the libraries imapd
    // links that a minimal Debian may lack
    debs: [
      "cyrus-imapd",
      "cyrus-common",
      "sasl2-bin",
      "libsasl2-2",
      "libsasl2-modules",
      "libsasl2-modules-db",
      "libical3",
      "libpcre3",
      "libxapian30",
      "libicu72",
      "libjansson4",
      "libldap-2.5-0",
      "libpq5",
      "libwrap0",
      "libxml2",
      "libsqlite3-0",
      "libnsl2",
      "libtirpc3",
      "libgssapi-krb5-2",
      "libkrb5-3",
      "libk5crypto3",
      "libkrb5support0",
      "libkeyutils1",
    ],
    files: ["usr/lib/cyrus/bin/master", "usr/lib/cyrus/bin/imapd", "usr/sbin/saslpasswd2"],
  },
];

/** Downloads and unpacks one server into the cache (root with apt-get only); exits 1 otherwise. */
function _ensureUnpacked(isRoot, { name, label, debs: packages, files }) {
  const cache = join(CACHE, name);
  const ready = () => files.every((file) => existsSync(join(cache, "root", file)));
  if (ready()) return `${label} ${readFileSync(join(cache, "version"), "utf8").trim()}`;
  if (!isRoot || _which("apt-get") === undefined || _which("dpkg-deb") === undefined) {
    console.error(
      `ensure-deps: ${label} is not unpacked. As root on Debian/Ubuntu, run this script again ` +
        `(it runs \`apt-get download ${packages.join(" ")}\` and unpacks them into ${cache}/root; ` +
        "never apt-get install it: it conflicts with Dovecot's packages and would remove them)",
    );
    process.exit(1);
  }
  const debs = join(cache, "debs");
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  console.log(`ensure-deps: fetching ${label}'s packages to unpack them (not install) in ${cache}`);
  const download = () =>
    spawnSync("apt-get", ["download", ...packages], { cwd: debs, stdio: "inherit" }).status === 0;
  if (!download()) {
    _run("apt-get", ["update"]);
    if (!download()) {
      console.error(`ensure-deps: \`apt-get download ${packages.join(" ")}\` failed`);
      process.exit(1);
    }
  }
  for (const file of readdirSync(debs).filter((f) => f.endsWith(".deb")))
    _run("dpkg-deb", ["-x", join(debs, file), join(cache, "root")]);
  if (!ready()) {
    console.error(`ensure-deps: the unpacked packages lack one of ${files.join(", ")}`);
    process.exit(1);
  }
  const version =
    readdirSync(debs)
      .find((f) => f.startsWith(`${packages[0]}_`))
      ?.split("_")[1] ?? "?";
  writeFileSync(join(cache, "version"), `${version}\n`);
  rmSync(debs, { recursive: true, force: true });
  return `${label} ${version} (unpacked)`;
}

function _ensureAllUnpacked(isRoot) {
  return UNPACKED.map((server) => _ensureUnpacked(isRoot, server)).join(", ");
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const before = _missing();
if (before.length === 0) {
  console.log(`ensure-deps: all present (${_versions()}, ${_ensureAllUnpacked(isRoot)})`);
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
console.log(`ensure-deps: installed (${_versions()}, ${_ensureAllUnpacked(isRoot)})`);
