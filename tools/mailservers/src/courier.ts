/**
 * A real Courier-IMAP 5 on a free loopback port: the second server product of the test suite, next
 * to Dovecot. It is what many hosters run and answers as RFC 3501 allows but Dovecot never does: SELECT
 * without `OK [UIDNEXT n]`, no CONDSTORE, QRESYNC, LIST-STATUS, SPECIAL-USE or MOVE, '.' as the
 * hierarchy delimiter below `INBOX.`, and other users' folders shared under `#shared.` by ACL.
 *
 * Debian's courier-imap conflicts with Dovecot's packages, so it is never apt-installed: the .debs are
 * unpacked into a cache folder, {@link COURIER_ROOT} (`bin/ensure-deps.mjs` does that), and run
 * from there. Its login process asks an authdaemon at a path compiled in (/run/courier/authdaemon):
 * Courier runs in a mount namespace of its own (`unshare -m`) where a private tmpfs on /run holds that
 * path, bind-mounted from this server's directory, and {@link startCourierAuthDaemon} answers there.
 * Needs root (mount namespace; sessions switch to the mail user). Plain IMAP only (no STARTTLS).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
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
import { type CourierAccount, startCourierAuthDaemon } from "./courier-auth.ts";
import { MAIL_UID } from "./dovecot.ts";
import type { MailUser } from "./passwd-file.ts";
import { freePorts } from "./ports.ts";

/**
 * Where `ensure-deps.mjs` unpacks Courier's packages (the folder holding `usr/`): one per machine,
 * shared by every checkout, readable by the mail user the sessions switch to (so not under /root).
 */
export const COURIER_ROOT = "/var/cache/mailreg-mailservers/courier/root";

/** The capabilities Courier advertises: Debian's default (/etc/courier/imapd). */
const _CAPABILITY =
  "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE";

/** Options of {@link startCourier}. */
export interface CourierOptions {
  /** Users to create (more with `addUser`). */
  users?: readonly MailUser[];
  /** Where the server's temp directory goes. Default /dev/shm when writable, else the OS temp dir. */
  parentDir?: string;
}

/** Where a running Courier is: plain data, safe to hand to test processes. */
export interface CourierInfo {
  host: "127.0.0.1";
  /** Plain IMAP (no STARTTLS offered). */
  imapPort: number;
  /** Courier's hierarchy delimiter; personal folders are `INBOX.<name>`. */
  separator: ".";
  /** The users created at start (test credentials). */
  users: MailUser[];
  /** The server's directory; removed by `stop()`. */
  dir: string;
  /** One home per user: `<homesDir>/<user>/Maildir`. */
  homesDir: string;
  /** The account file the authdaemon reads on each login (`addUser` appends to it). */
  accountsPath: string;
}

/** What can be done with a running Courier from any process that has its {@link CourierInfo}. */
export interface CourierTools {
  /**
   * Adds a user (maildir created); it can log in at once.
   * @returns the user
   */
  addUser(user: string, password: string): MailUser;
  /** A user's maildir (INBOX; folder `INBOX.X` is `<maildir>/.X`). */
  maildirOf(user: string): string;
}

/** A running Courier. */
export interface CourierHandle extends CourierInfo, CourierTools {
  /** The last lines of Courier's log (couriertcpd and its sessions: logins, errors). */
  logTail(lines?: number): string;
  /** Stops Courier and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Courier-IMAP on a free loopback port.
 *
 * @param options users, where its directory goes
 * @returns the running server
 * @throws {MailregError} DEPENDENCY_MISSING when the unpacked packages or `unshare` are missing
 * @example
 * ```ts
 * const courier = await startCourier({ users: [{ user: "alice", password: "pw" }] });
 * const client = new ImapFlow({
 *   host: courier.host, port: courier.imapPort, secure: false, doSTARTTLS: false,
 *   auth: { user: "alice", pass: "pw" },
 * });
 * // …
 * await courier.stop();
 * ```
 */
export async function startCourier(options: CourierOptions = {}): Promise<CourierHandle> {
  const programs = courierPrograms();
  if (process.getuid?.() !== 0) {
    throw new MailregError("INTERNAL", "Courier must be started as root (mount namespace, mail user)");
  }
  const dir = await mkdtemp(join(options.parentDir ?? _defaultParentDir(), "mailreg-courier-"));
  const homesDir = join(dir, "home");
  const authDir = join(dir, "authdaemon");
  const accountsPath = join(dir, "accounts.json");
  const logPath = join(dir, "courier.log");
  const users = [...(options.users ?? [])];
  let child: ChildProcess | undefined;
  let auth: Awaited<ReturnType<typeof startCourierAuthDaemon>> | undefined;
  const stop = async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    }
    await auth?.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    chmodSync(dir, 0o755);
    mkdirSync(homesDir, { mode: 0o755 });
    mkdirSync(join(dir, "shared"), { mode: 0o755 });
    mkdirSync(authDir, { mode: 0o755 });
    writeFileSync(accountsPath, "[]\n", { mode: 0o600 });
    const info: CourierInfo = {
      host: "127.0.0.1",
      imapPort: 0,
      separator: ".",
      users,
      dir,
      homesDir,
      accountsPath,
    };
    const tools = attachCourier(info);
    for (const user of [...users]) {
      users.splice(users.indexOf(user), 1);
      tools.addUser(user.user, user.password);
    }
    auth = await startCourierAuthDaemon(join(authDir, "socket"), (name) => _accounts(accountsPath).get(name));
    for (let attempt = 0; ; attempt++) {
      const [port] = await freePorts(1);
      info.imapPort = port!;
      child = _spawn(programs, dir, authDir, info.imapPort, logPath);
      const up = await _greeting(info.imapPort, child);
      if (up) break;
      if (attempt >= 2) {
        throw new MailregError(
          "INTERNAL",
          `Courier did not start; its files are kept in ${dir}\n${_tail(logPath, 30)}`,
          { details: { dir, logPath } },
        );
      }
    }
    return {
      ...attachCourier(info),
      logTail: (lines = 30) => _tail(logPath, lines),
      stop,
    };
  } catch (error) {
    if (!(error instanceof MailregError && error.details?.dir === dir)) await stop();
    throw error;
  }
}

/**
 * The tools of a Courier started elsewhere (tests get its {@link CourierInfo} from
 * `inject("mailservers").courier`).
 *
 * @param info where the server is
 * @returns the info with addUser and maildirOf
 */
export function attachCourier(info: CourierInfo): CourierInfo & CourierTools {
  const maildirOf = (user: string) => join(info.homesDir, user.toLowerCase(), "Maildir");
  return {
    ...info,
    maildirOf,
    addUser(user, password) {
      if (!/^[a-z0-9][a-z0-9._+@-]{0,254}$/.test(user)) {
        throw new MailregError("VALIDATION", `Not a usable test user name: ${JSON.stringify(user)}`);
      }
      const home = join(info.homesDir, user);
      const maildir = maildirOf(user);
      for (const sub of ["", "cur", "new", "tmp"]) {
        mkdirSync(join(maildir, sub), { recursive: true, mode: 0o700 });
        chownSync(join(maildir, sub), MAIL_UID, MAIL_UID);
      }
      chownSync(home, MAIL_UID, MAIL_UID);
      const accounts = [..._accounts(info.accountsPath).values()].filter((a) => a.user !== user);
      accounts.push({ user, password, home, maildir, uid: MAIL_UID, gid: MAIL_UID });
      writeFileSync(info.accountsPath, `${JSON.stringify(accounts, null, 1)}\n`, { mode: 0o600 });
      // the virtual shared folder index: every account, so that ACLs can share folders between them
      writeFileSync(
        join(info.dir, "shared", "index"),
        accounts.map((a) => `${a.user}\t${a.uid}\t${a.gid}\t${a.home}\tMaildir\n`).join(""),
        { mode: 0o644 },
      );
      const added = { user, password };
      info.users.push(added);
      return added;
    },
  };
}

/** The programs Courier needs, or DEPENDENCY_MISSING naming what to run. */
export function courierPrograms(): {
  couriertcpd: string;
  imaplogin: string;
  imapd: string;
  unshare: string;
  setpriv: string;
} {
  const programs = {
    couriertcpd: join(COURIER_ROOT, "usr/sbin/couriertcpd"),
    imaplogin: join(COURIER_ROOT, "usr/lib/courier/courier/imaplogin"),
    imapd: join(COURIER_ROOT, "usr/bin/imapd"),
  };
  for (const path of Object.values(programs)) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new MailregError(
        "DEPENDENCY_MISSING",
        `Courier-IMAP is not unpacked (${path} is missing): run \`node tools/mailservers/bin/ensure-deps.mjs\` as root`,
        { details: { program: path } },
      );
    }
  }
  const unshare = which("unshare");
  const setpriv = which("setpriv");
  if (unshare === undefined || setpriv === undefined) {
    throw new MailregError(
      "DEPENDENCY_MISSING",
      "unshare or setpriv is missing (Debian package util-linux)",
      {
        details: { program: unshare === undefined ? "unshare" : "setpriv" },
      },
    );
  }
  return { ...programs, unshare, setpriv };
}

function _accounts(path: string): Map<string, CourierAccount> {
  const list = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as CourierAccount[]) : [];
  return new Map(list.map((account) => [account.user, account]));
}

function _spawn(
  programs: ReturnType<typeof courierPrograms>,
  dir: string,
  authDir: string,
  port: number,
  logPath: string,
): ChildProcess {
  // in the new mount namespace only: a private /run with Courier's compiled-in authdaemon path
  const script =
    'mount -t tmpfs -o mode=0755 mailreg-courier /run && mkdir -p /run/courier/authdaemon && mount --bind "$1" /run/courier/authdaemon && shift && exec "$@"';
  const lib = ["usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/courier-authlib"]
    .map((sub) => join(COURIER_ROOT, sub))
    .join(":");
  const env = {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    LD_LIBRARY_PATH: lib,
    IMAP_CAPABILITY: _CAPABILITY,
    IMAP_KEYWORDS: "1",
    IMAP_ACL: "1",
    IMAP_IDLE_TIMEOUT: "60",
    IMAP_USELOCKS: "1",
    IMAP_TRASHFOLDERNAME: "Trash",
    IMAP_EMPTYTRASH: "",
    IMAP_UMASK: "022",
    IMAP_MAILBOX_SANITY_CHECK: "1",
    IMAP_ENHANCEDIDLE: "0",
    IMAP_CHECK_ALL_FOLDERS: "0",
    IMAP_DISABLETHREADSORT: "0",
    IMAP_OBSOLETE_CLIENT: "0",
    IMAP_MOVE_EXPUNGE_TO_TRASH: "0",
    IMAP_PROXY: "0",
    IMAP_SHAREDINDEXFILE: join(dir, "shared", "index"),
    IMAP_TLS_REQUIRED: "0",
    // the FAM library of imapd starts this server (not at its compiled-in path: unpacked here)
    GAMIN_DEBUG_SERVER: join(COURIER_ROOT, "usr/libexec/gam_server"),
  };
  const fd = openSync(logPath, "a", 0o600);
  try {
    return spawn(
      programs.unshare,
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "courier",
        authDir,
        // stops with the process that started it, also when that one is killed (no stray server)
        programs.setpriv,
        "--pdeathsig",
        "TERM",
        programs.couriertcpd,
        "-address=127.0.0.1",
        "-nodnslookup",
        "-noidentlookup",
        // a file name (couriertcpd writes "syslog" as a file in its working directory)
        `-stderr=${logPath}`,
        String(port),
        programs.imaplogin,
        programs.imapd,
        "Maildir",
      ],
      { env, stdio: ["ignore", fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
}

/** Waits for the IMAP greeting; false when the server exited first (e.g. the port was taken). */
async function _greeting(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 5_000;
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
    await new Promise((resolve) => setTimeout(resolve, 25));
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

function _tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log written)";
  }
}
