/**
 * A real Dovecot (IMAP, IMAPS, POP3, POP3S, submission) on free loopback ports, from a generated
 * self-contained config in a temp directory. Needs root (Dovecot switches to its own users).
 *
 * @module
 */
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { MailregError } from "@mailreg/core";
import { createTestCertificate, type TestCertificate } from "./cert.ts";
import { INSTALL_HINT, requireProgram, runCommand, runDaemonStarter } from "./command.ts";
import {
  type DovecotConfigSettings,
  type DovecotPorts,
  type OAuth2Username,
  renderDovecotConfig,
  renderOAuth2Config,
  type Separator,
  type SubmissionRelay,
} from "./dovecot-config.ts";
import { addPasswdUser, createPasswdDir, type MailUser } from "./passwd-file.ts";
import { freePorts } from "./ports.ts";

/** The uid and gid Dovecot's mail processes run as (Debian's `mail` user). */
export const MAIL_UID = 8;

/** An OAuth issuer whose tokens Dovecot accepts (XOAUTH2, OAUTHBEARER), checked locally. */
export interface DovecotOAuth2 {
  /** The `iss` of accepted tokens, e.g. an oauth2-mock-server's issuer URL. */
  issuer: string;
  /** The signing key's id (`kid` in the token header). */
  kid: string;
  /** The signing key's public part as SPKI PEM. */
  publicKeyPem: string;
  /**
   * The claim naming the user and how it is compared with the login; default the `email` claim,
   * whole. `{ attribute: APP_MAILBOXES_CLAIM, format: "%Ld" }` accepts app-only tokens of
   * `startOAuthProvider({ apps })` for every user of their domain.
   */
  username?: OAuth2Username;
}

/** Options of {@link startDovecot}. */
export interface DovecotOptions {
  /** Hierarchy separator: '/' (maildir LAYOUT=fs, '.' allowed in names) or '.' (Maildir++). Default '/'. */
  separator?: Separator;
  /** Users to create (more can be added later with `addUser`). */
  users?: readonly MailUser[];
  /** Start the submission service, relaying to this SMTP server (e.g. an SMTP sink). */
  submissionRelay?: SubmissionRelay;
  /** Accept OAuth 2.0 bearer tokens of this issuer; the token's `email` claim is the login. */
  oauth2?: DovecotOAuth2;
  /** Advertise CONDSTORE and QRESYNC. Default true; false tests a client's fallback path. */
  condstore?: boolean;
  /** The TLS certificate to serve; one is generated when absent. */
  certificate?: TestCertificate;
  /** Log why each login failed (`auth_debug`). Default false. */
  authDebug?: boolean;
  /**
   * Where the server's temp directory goes. Default /dev/shm when it is there (tmpfs: seeding runs
   * 2-8x faster than on a busy disk), else the OS temp directory.
   */
  parentDir?: string;
}

/** Where a running Dovecot is and how to reach it: plain data, safe to hand to test processes. */
export interface DovecotInfo {
  host: "127.0.0.1";
  /** IMAP with STARTTLS. */
  imapPort: number;
  /** IMAP over implicit TLS. */
  imapsPort: number;
  /** POP3 with STLS. */
  pop3Port: number;
  /** POP3 over implicit TLS. */
  pop3sPort: number;
  /** Submission with STARTTLS; undefined when no relay was given. */
  submissionPort: number | undefined;
  /** The certificate clients trust (`ca`); verify it with `servername`. */
  caPem: string;
  servername: "localhost";
  separator: Separator;
  /** Whether CONDSTORE and QRESYNC are advertised. */
  condstore: boolean;
  /** The users created at start (test credentials). */
  users: MailUser[];
  /** The server's directory; removed by `stop()`. */
  dir: string;
  /** The config file, for `doveadm -c`. */
  configPath: string;
  /** The users directory (one passwd-file per user): `addPasswdUser(passwdDir, …)` adds a user. */
  passwdDir: string;
  /** The directory holding one maildir per user. */
  mailRoot: string;
  logPath: string;
}

/** What can be done with a running Dovecot, from any process that has its {@link DovecotInfo}. */
export interface DovecotTools {
  /**
   * Adds a user; Dovecot sees it on the next login, no reload needed.
   * @returns the user
   */
  addUser(user: string, password: string): MailUser;
  /** The maildir root of a user (INBOX with '/', the Maildir++ root with '.'). */
  maildirOf(user: string): string;
  /**
   * Runs `doveadm -c <config> ...args` and returns its output; throws when it fails.
   * @example `await dovecot.doveadm(["mailbox", "create", "-s", "-u", "alice", "Projects"])`
   */
  doveadm(args: readonly string[]): Promise<string>;
  /** The last lines of Dovecot's log. */
  logTail(lines?: number): string;
}

/** A running Dovecot. */
export interface DovecotHandle extends DovecotInfo, DovecotTools {
  /** Stops Dovecot (waits for the master to exit, ~1 s) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Dovecot on free loopback ports.
 *
 * @param options separator, users, submission relay, OAuth issuer, CONDSTORE advertising
 * @returns the running server
 * @example
 * ```ts
 * const dovecot = await startDovecot({ users: [{ user: "alice", password: "pw" }] });
 * const client = new ImapFlow({
 *   host: dovecot.host, port: dovecot.imapPort, secure: false,
 *   tls: { ca: dovecot.caPem, servername: dovecot.servername },
 *   auth: { user: "alice", pass: "pw" },
 * });
 * // …
 * await dovecot.stop();
 * ```
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotHandle> {
  const dovecotBin = requireProgram("dovecot");
  const doveadmBin = requireProgram("doveadm");
  if (process.getuid?.() !== 0) {
    throw new MailregError("INTERNAL", "Dovecot must be started as root (it switches to its own users)");
  }
  const dovecotGid = _dovecotGid();
  const separator = options.separator ?? "/";
  const condstore = options.condstore ?? true;

  const dir = await mkdtemp(join(options.parentDir ?? _defaultParentDir(), "mailreg-dovecot-"));
  const mailRoot = join(dir, "mail");
  const passwdDir = join(dir, "users");
  const configPath = join(dir, "dovecot.conf");
  const logPath = join(dir, "dovecot.log");
  const users = [...(options.users ?? [])];
  let certificate: TestCertificate;
  let ports: DovecotPorts;
  let pid: number | undefined;
  try {
    chmodSync(dir, 0o755); // the mail user must reach mail/, the login users run/
    mkdirSync(mailRoot, { mode: 0o755 });
    chownSync(mailRoot, MAIL_UID, MAIL_UID);
    certificate = options.certificate ?? (await createTestCertificate(dir));
    createPasswdDir(passwdDir, users, dovecotGid);
    const oauth2File = options.oauth2 === undefined ? undefined : _writeOAuth2(dir, options.oauth2);
    const settings = {
      dir,
      instanceName: `mailreg-${basename(dir).slice(-6)}`,
      separator,
      certPath: certificate.certPath,
      keyPath: certificate.keyPath,
      passwdDir,
      mailRoot,
      condstore,
      authDebug: options.authDebug ?? false,
      ...(oauth2File === undefined ? {} : { oauth2File }),
      ...(options.submissionRelay === undefined ? {} : { relay: options.submissionRelay }),
    };
    ports = (await _launch(dovecotBin, settings, false)) ?? (await _launch(dovecotBin, settings, true))!;
    // the starter exits before the daemonised master has written its pid: wait for it
    pid = await _masterPid(join(dir, "run", "master.pid"));
    await _greeting(ports.imap);
  } catch (error) {
    // a Dovecot that refused to start keeps its files for inspection (its error says where)
    const refused = pid === undefined && error instanceof MailregError && error.details?.dir === dir;
    if (!refused) await _stop(dir, pid, doveadmBin, configPath);
    throw error;
  }

  const info: DovecotInfo = {
    host: "127.0.0.1",
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    pop3Port: ports.pop3,
    pop3sPort: ports.pop3s,
    submissionPort: ports.submission,
    caPem: certificate.certPem,
    servername: certificate.servername,
    separator,
    condstore,
    users,
    dir,
    configPath,
    passwdDir,
    mailRoot,
    logPath,
  };
  let stopped: Promise<void> | undefined;
  return {
    ...attachDovecot(info),
    stop() {
      stopped ??= _stop(dir, pid, doveadmBin, configPath);
      return stopped;
    },
  };
}

/**
 * The tools of a Dovecot started elsewhere, e.g. by the global test setup (tests get its
 * {@link DovecotInfo} from `inject("mailservers").dovecot`).
 *
 * @param info where the server is
 * @returns the info with addUser, maildirOf, doveadm and logTail
 * @example
 * ```ts
 * const dovecot = attachDovecot(inject("mailservers").dovecot);
 * dovecot.addUser("carol", "carol-password");
 * ```
 */
export function attachDovecot(info: DovecotInfo): DovecotInfo & DovecotTools {
  return {
    ...info,
    addUser(user, password) {
      const added = { user, password };
      addPasswdUser(info.passwdDir, added);
      info.users.push(added);
      return added;
    },
    maildirOf: (user) => join(info.mailRoot, user.toLowerCase()),
    async doveadm(args) {
      const result = await runCommand(requireProgram("doveadm"), ["-c", info.configPath, ...args]);
      if (result.code !== 0) {
        throw new MailregError(
          "INTERNAL",
          `doveadm ${args[0] ?? ""} failed (exit ${result.code}): ${result.stderr.trim()}`,
        );
      }
      return result.stdout;
    },
    logTail: (lines = 30) => _tail(info.logPath, lines),
  };
}

/**
 * Writes the config with fresh free ports and starts the master.
 * @returns the ports, or `undefined` when another process took one of them first (and `lastTry` is false)
 */
async function _launch(
  dovecotBin: string,
  settings: Omit<DovecotConfigSettings, "ports">,
  lastTry: boolean,
): Promise<DovecotPorts | undefined> {
  const [imap, imaps, pop3, pop3s, submission] = await freePorts(5);
  const ports: DovecotPorts = {
    imap: imap!,
    imaps: imaps!,
    pop3: pop3!,
    pop3s: pop3s!,
    ...(settings.relay === undefined ? {} : { submission: submission! }),
  };
  const configPath = join(settings.dir, "dovecot.conf");
  const logPath = join(settings.dir, "dovecot.log");
  writeFileSync(configPath, renderDovecotConfig({ ...settings, ports }), { mode: 0o600 });
  const result = await runDaemonStarter(dovecotBin, ["-c", configPath], join(settings.dir, "start.out"));
  if (result.code === 0) return ports;
  if (!lastTry && /Address already in use/.test(result.stderr)) return undefined;
  throw new MailregError(
    "INTERNAL",
    `Dovecot failed to start (exit ${result.code}); its files are kept in ${settings.dir}\n${result.stderr.trim()}\n` +
      `--- ${logPath} (last lines) ---\n${_tail(logPath, 30)}`,
    { details: { dir: settings.dir, logPath } },
  );
}

async function _masterPid(pidFile: string): Promise<number | undefined> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const pid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, "utf8").trim(), 10) : Number.NaN;
    if (Number.isInteger(pid) && pid > 1) return pid;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
}

/** Waits for the IMAP greeting: the login and auth processes are up (and a stop won't catch them half-started). */
async function _greeting(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => socket.destroy(new Error("no IMAP greeting within 5 s")), 5_000);
    socket.once("data", () => socket.end());
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(new MailregError("INTERNAL", `Dovecot started but IMAP does not answer: ${error.message}`));
    });
  });
}

async function _stop(
  dir: string,
  pid: number | undefined,
  doveadmBin: string,
  configPath: string,
): Promise<void> {
  if (pid !== undefined) {
    // what `doveadm stop` does, without its wait for init to reap the master; the master exits ~1 s
    // after SIGTERM, but waits up to 6 s for a login process caught half-started: cut that short
    _signal(pid, "SIGTERM");
    if (!(await _waitForExit(pid, 2_000))) {
      for (const child of _children(pid)) _signal(child, "SIGKILL");
      _signal(pid, "SIGKILL");
      await _waitForExit(pid, 2_000);
    }
  } else {
    await runCommand(doveadmBin, ["-c", configPath, "stop"]);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** The ids of a process's children (Linux /proc). */
function _children(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function _signal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Whether the process is gone or a zombie (the daemonised master is reaped by init, sometimes late). */
function _exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

async function _waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!_exited(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
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

function _dovecotGid(): number {
  const passwd = readFileSync("/etc/passwd", "utf8");
  const group = readFileSync("/etc/group", "utf8");
  const hasUser = (name: string) => passwd.split("\n").some((line) => line.startsWith(`${name}:`));
  const line = group.split("\n").find((l) => l.startsWith("dovecot:"));
  const gid = line === undefined ? Number.NaN : Number.parseInt(line.split(":")[2] ?? "", 10);
  if (!hasUser("dovecot") || !hasUser("dovenull") || !Number.isInteger(gid)) {
    throw new MailregError(
      "DEPENDENCY_MISSING",
      `The dovecot and dovenull users are missing; install: ${INSTALL_HINT}`,
    );
  }
  return gid;
}

/** Writes the oauth2 passdb file and the issuer's key where local validation looks for it. */
function _writeOAuth2(dir: string, oauth2: DovecotOAuth2): string {
  if (!/^[A-Za-z0-9_-]+$/.test(oauth2.kid))
    throw new MailregError("VALIDATION", "The OAuth key id must be base64url");
  const keyDir = join(dir, "oauth2-keys");
  // Dovecot's debug log says "shared/default/RS256/<kid>", but fs:posix reads <prefix>/default/RS256/<kid>
  const algDir = join(keyDir, "default", "RS256");
  mkdirSync(algDir, { recursive: true, mode: 0o755 });
  writeFileSync(join(algDir, oauth2.kid), oauth2.publicKeyPem, { mode: 0o644 });
  const file = join(dir, "oauth2.conf");
  writeFileSync(file, renderOAuth2Config(oauth2.issuer, keyDir, oauth2.username), { mode: 0o644 });
  return file;
}
