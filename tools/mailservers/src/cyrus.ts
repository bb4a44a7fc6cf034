/**
 * A real Cyrus IMAP 3.6 on a free loopback port: the third server product of the test suite. It is
 * strict where Dovecot is lenient — an APPEND of a message with bare LF line endings is refused ("NO
 * Message contains bare newlines") — and has other users' and shared folders in namespaces of their
 * own (`Other Users/`, `Shared Folders/`), '/' as the delimiter (`unixhierarchysep`) and folders beside
 * INBOX (`altnamespace`); CONDSTORE, QRESYNC, LIST-STATUS and SPECIAL-USE are advertised.
 *
 * Debian's cyrus-imapd conflicts with Dovecot's packages, so it is never apt-installed: the .debs are
 * unpacked into {@link CYRUS_ROOT} (`bin/ensure-deps.mjs` does that) and run from there as the mail
 * user (`cyrus_user: mail`), with a config, a SASL password database (sasldb, `saslpasswd2`) and a
 * spool of its own. Needs root (to switch to the mail user). Plain IMAP only. Cyrus logs to syslog
 * (/dev/log), which test machines usually lack: its log is lost there.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailregError } from "@mailreg/core";
import { which } from "./command.ts";
import { MAIL_UID } from "./dovecot.ts";
import type { MailUser } from "./passwd-file.ts";
import { freePorts } from "./ports.ts";

/** Where `ensure-deps.mjs` unpacks Cyrus's packages (the folder holding `usr/`), one per machine. */
export const CYRUS_ROOT = "/var/cache/mailreg-mailservers/cyrus/root";

/** The SASL realm users are created in (Cyrus's `servername`). */
const _REALM = "localhost";

/** Options of {@link startCyrus}. */
export interface CyrusOptions {
  /** Users to create (more with `addUser`); each gets INBOX and Sent at first login. */
  users?: readonly MailUser[];
  /** Where the server's temp directory goes. Default /dev/shm when writable, else the OS temp dir. */
  parentDir?: string;
}

/** Where a running Cyrus is: plain data, safe to hand to test processes. */
export interface CyrusInfo {
  host: "127.0.0.1";
  /** Plain IMAP (LOGIN allowed without TLS). */
  imapPort: number;
  /** The hierarchy delimiter; personal folders sit beside INBOX (`Sent`, `Projekte/2026`). */
  separator: "/";
  /** The users created at start (test credentials). */
  users: MailUser[];
  /** The server's directory; removed by `stop()`. */
  dir: string;
  /** Cyrus's config file (`-C`). */
  configPath: string;
}

/** What can be done with a running Cyrus from any process that has its {@link CyrusInfo}. */
export interface CyrusTools {
  /**
   * Adds a user to the SASL database; INBOX and Sent are created at its first login.
   * @returns the user
   */
  addUser(user: string, password: string): MailUser;
}

/** A running Cyrus. */
export interface CyrusHandle extends CyrusInfo, CyrusTools {
  /** Stops Cyrus and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Cyrus IMAP on a free loopback port.
 *
 * @param options users, where its directory goes
 * @returns the running server
 * @throws {MailregError} DEPENDENCY_MISSING when the unpacked packages or setpriv are missing
 * @example
 * ```ts
 * const cyrus = await startCyrus({ users: [{ user: "alice", password: "pw" }] });
 * // ImapFlow({ host: cyrus.host, port: cyrus.imapPort, secure: false, doSTARTTLS: false, auth: … })
 * await cyrus.stop();
 * ```
 */
export async function startCyrus(options: CyrusOptions = {}): Promise<CyrusHandle> {
  const programs = cyrusPrograms();
  if (process.getuid?.() !== 0) {
    throw new MailregError("INTERNAL", "Cyrus must be started as root (it runs as the mail user)");
  }
  const dir = await mkdtemp(join(options.parentDir ?? _defaultParentDir(), "mailreg-cyrus-"));
  const configPath = join(dir, "imapd.conf");
  const users: MailUser[] = [];
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    for (const sub of ["conf", "conf/db", "spool", "sieve", "socket"]) mkdirSync(join(dir, sub));
    const info: CyrusInfo = { host: "127.0.0.1", imapPort: 0, separator: "/", users, dir, configPath };
    writeFileSync(configPath, _imapdConf(dir));
    for (const user of options.users ?? []) attachCyrus(info).addUser(user.user, user.password);
    for (let attempt = 0; ; attempt++) {
      const [port] = await freePorts(1);
      info.imapPort = port!;
      writeFileSync(join(dir, "cyrus.conf"), _cyrusConf(dir, info.imapPort));
      _chownTree(dir);
      child = _spawn(programs, dir);
      if (await _greeting(info.imapPort, child)) break;
      if (attempt >= 2) {
        throw new MailregError("INTERNAL", `Cyrus did not start; its files are kept in ${dir}`, {
          details: { dir },
        });
      }
    }
    return { ...attachCyrus(info), stop };
  } catch (error) {
    if (!(error instanceof MailregError && error.details?.dir === dir)) await stop();
    throw error;
  }
}

/**
 * The tools of a Cyrus started elsewhere (tests get its {@link CyrusInfo} from
 * `inject("mailservers").cyrus`).
 *
 * @param info where the server is
 * @returns the info with addUser
 */
export function attachCyrus(info: CyrusInfo): CyrusInfo & CyrusTools {
  return {
    ...info,
    addUser(user, password) {
      if (!/^[a-z0-9][a-z0-9._+-]{0,63}$/.test(user)) {
        throw new MailregError("VALIDATION", `Not a usable Cyrus test user name: ${JSON.stringify(user)}`);
      }
      const sasldb = join(info.dir, "sasldb2");
      const result = spawnSync(
        join(CYRUS_ROOT, "usr/sbin/saslpasswd2"),
        ["-p", "-c", "-f", sasldb, "-u", _REALM, user],
        { input: password, env: _env(), encoding: "utf8" },
      );
      if (result.status !== 0) {
        throw new MailregError("INTERNAL", `saslpasswd2 failed for ${user}: ${result.stderr.trim()}`);
      }
      chownSync(sasldb, MAIL_UID, MAIL_UID);
      const added = { user, password };
      info.users.push(added);
      return added;
    },
  };
}

/** The programs Cyrus needs, or DEPENDENCY_MISSING naming what to run. */
export function cyrusPrograms(): { master: string; setpriv: string } {
  const master = join(CYRUS_ROOT, "usr/lib/cyrus/bin/master");
  for (const path of [
    master,
    join(CYRUS_ROOT, "usr/lib/cyrus/bin/imapd"),
    join(CYRUS_ROOT, "usr/sbin/saslpasswd2"),
  ]) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new MailregError(
        "DEPENDENCY_MISSING",
        `Cyrus IMAP is not unpacked (${path} is missing): run \`node tools/mailservers/bin/ensure-deps.mjs\` as root`,
        { details: { program: path } },
      );
    }
  }
  const setpriv = which("setpriv");
  if (setpriv === undefined) {
    throw new MailregError("DEPENDENCY_MISSING", "setpriv is not installed (Debian package util-linux)", {
      details: { program: "setpriv" },
    });
  }
  return { master, setpriv };
}

function _imapdConf(dir: string): string {
  return [
    `configdirectory: ${dir}/conf`,
    `partition-default: ${dir}/spool`,
    `sievedir: ${dir}/sieve`,
    `servername: ${_REALM}`,
    "cyrus_user: mail",
    "admins: mailreg-admin",
    "allowplaintext: yes",
    "sasl_pwcheck_method: auxprop",
    "sasl_auxprop_plugin: sasldb",
    `sasl_sasldb_path: ${dir}/sasldb2`,
    "sasl_mech_list: PLAIN LOGIN",
    `idlesocket: ${dir}/socket/idle`,
    `lmtpsocket: ${dir}/socket/lmtp`,
    `notifysocket: ${dir}/socket/notify`,
    "syslog_prefix: mailreg-cyrus",
    // INBOX and Sent at first login
    "autocreate_quota: 0",
    "autocreate_inbox_folders: Sent",
    "autocreate_subscribe_folders: Sent",
    "xlist-sent: Sent",
    "autocreate_post: 1",
    "unixhierarchysep: yes",
    "altnamespace: yes",
    "",
  ].join("\n");
}

function _cyrusConf(dir: string, port: number): string {
  const bin = join(CYRUS_ROOT, "usr/lib/cyrus/bin");
  return [
    "START {",
    `  recover cmd="${bin}/ctl_cyrusdb -C ${dir}/imapd.conf -r"`,
    "}",
    "SERVICES {",
    `  imap cmd="${bin}/imapd -C ${dir}/imapd.conf" listen="127.0.0.1:${port}" prefork=0`,
    "}",
    "EVENTS {",
    "}",
    "",
  ].join("\n");
}

function _env(): Record<string, string> {
  return {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    LD_LIBRARY_PATH: ["usr/lib", "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"]
      .map((sub) => join(CYRUS_ROOT, sub))
      .join(":"),
    // libsasl2 loads its PLAIN/LOGIN and sasldb plugins from here (not the system's, which may be absent)
    SASL_PATH: join(CYRUS_ROOT, "usr/lib/x86_64-linux-gnu/sasl2"),
  };
}

function _spawn(programs: ReturnType<typeof cyrusPrograms>, dir: string): ChildProcess {
  const fd = openSync(join(dir, "master.out"), "a", 0o600);
  try {
    return spawn(
      programs.setpriv,
      [
        `--reuid=${MAIL_UID}`,
        `--regid=${MAIL_UID}`,
        "--clear-groups",
        // stops with the process that started it, also when that one is killed (no stray server)
        "--pdeathsig",
        "TERM",
        programs.master,
        "-C",
        join(dir, "imapd.conf"),
        "-M",
        join(dir, "cyrus.conf"),
        "-p",
        join(dir, "master.pid"),
        "-D",
      ],
      { env: _env(), stdio: ["ignore", fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
}

function _chownTree(dir: string): void {
  const result = spawnSync("chown", ["-R", `${MAIL_UID}:${MAIL_UID}`, dir]);
  if (result.status !== 0) throw new MailregError("INTERNAL", `chown of ${dir} failed`);
}

/** Waits for the IMAP greeting; false when the master exited first (e.g. the port was taken). */
async function _greeting(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("data", (data) => {
        socket.end();
        resolve(data.toString("latin1").startsWith("* OK"));
      });
      socket.once("error", () => resolve(false));
    });
    if (greeted) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function _defaultParentDir(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

/** Cyrus's start-up output (what master wrote before it logs to syslog). */
export function cyrusStartOutput(info: Pick<CyrusInfo, "dir">): string {
  try {
    return readFileSync(join(info.dir, "master.out"), "utf8");
  } catch {
    return "";
  }
}
