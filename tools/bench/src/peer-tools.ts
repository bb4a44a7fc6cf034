/**
 * The peers as a user would set them up, each writing its own config into a fresh directory:
 * `mbsync` (isync) into a Maildir, `fetchmail` over IMAP and over POP3 handing each message to
 * procmail (the MDA fetchmail's manual suggests) which files it into a Maildir, `getmail6` through
 * procmail too (its own Maildir delivery stalls, see below), `offlineimap3` into a Maildir. All log in with plain IMAP/POP3 on loopback (as mailreg
 * and the bare FETCH do in the same run), keep the messages on the server, and keep their own state
 * so that a second run fetches nothing new.
 *
 * @module
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where a peer fetches from. */
export interface PeerTarget {
  host: string;
  imapPort: number;
  pop3Port: number;
  user: string;
  password: string;
  /** The folders to collect (server names, '/' separator); ["INBOX"] for INBOX only. */
  folders: readonly string[];
}

/** How to run a peer once in a directory it owns. */
export interface PeerRun {
  argv: string[];
  /** The command of the `no-change` run, when it differs from the initial one. */
  againArgv?: string[];
  /** Exit codes that mean success (fetchmail answers 1 for "no new mail"). */
  okCodes: number[];
  /** The Maildir (tree) the messages land in: message files are counted there. */
  maildir: string;
}

/** A peer tool. */
export interface PeerTool {
  /** The row's name, e.g. "mbsync". */
  name: string;
  /** The Debian package that brings it. */
  debianPackage: string;
  /** The program it runs (checked before running). */
  program: string;
  /** Stop it (and report how far it got) after this long; default the benchmark's 10 minutes. */
  timeoutMs?: number;
  /** False when the tool cannot collect these folders at all (POP3 has only INBOX). */
  supports(target: PeerTarget): boolean;
  /**
   * Writes the config into `dir` (created on the first, `initial`, run; reused for `no-change`)
   * and returns the command.
   */
  prepare(dir: string, target: PeerTarget): PeerRun;
}

const _inboxOnly = (t: PeerTarget) => t.folders.length === 1 && t.folders[0] === "INBOX";

/** mbsync: one channel, `Sync Pull`, the far side's folders created near (`Create Near`). */
const mbsync: PeerTool = {
  name: "mbsync",
  debianPackage: "isync",
  program: "mbsync",
  supports: () => true,
  prepare(dir, t) {
    const maildir = _maildirRoot(dir);
    const rc = join(dir, "mbsyncrc");
    writeFileSync(
      rc,
      [
        "IMAPAccount bench",
        `Host ${t.host}`,
        `Port ${t.imapPort}`,
        `User ${t.user}`,
        `Pass ${t.password}`,
        "SSLType None",
        "AuthMechs LOGIN",
        "",
        "IMAPStore far",
        "Account bench",
        "",
        "MaildirStore near",
        `Path ${maildir}/`,
        `Inbox ${maildir}/INBOX`,
        "SubFolders Verbatim",
        "",
        "Channel bench",
        "Far :far:",
        "Near :near:",
        `Patterns ${t.folders.map((f) => `"${f}"`).join(" ")}`,
        "Create Near",
        "Sync Pull",
        "Expunge None",
        `SyncState ${join(dir, "state")}/`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    mkdirSync(join(dir, "state"), { recursive: true });
    return { argv: ["mbsync", "-q", "-c", rc, "-a"], okCodes: [0], maildir };
  },
};

/** fetchmail over IMAP or POP3, `keep`, each message piped to procmail (Maildir delivery). */
function _fetchmail(protocol: "IMAP" | "POP3"): PeerTool {
  return {
    name: `fetchmail-${protocol.toLowerCase()}`,
    debianPackage: "fetchmail",
    program: "fetchmail",
    supports: (t) => protocol === "IMAP" || _inboxOnly(t),
    prepare(dir, t) {
      const maildir = _maildirRoot(dir);
      for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
      const procmailrc = _procmailrc(dir, maildir);
      const rc = join(dir, "fetchmailrc");
      const folders = protocol === "IMAP" ? ` folder ${t.folders.map((f) => `"${f}"`).join(",")}` : "";
      writeFileSync(
        rc,
        [
          "set no syslog",
          `poll ${t.host} with proto ${protocol} port ${protocol === "IMAP" ? t.imapPort : t.pop3Port}${protocol === "POP3" ? " uidl" : ""}`,
          // no opportunistic STARTTLS: plain on loopback, like every tool in this run
          `  user "${t.user}" there with password "${t.password}" is "root" here sslproto ''${folders}`,
          `  keep mda "/usr/bin/procmail -m ${procmailrc}"`,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      chmodSync(rc, 0o600);
      const argv = [
        "fetchmail",
        "--nosyslog",
        "--silent",
        "-f",
        rc,
        "-i",
        join(dir, "fetchids"),
        "--pidfile",
        join(dir, "fetchmail.pid"),
      ];
      return {
        // over IMAP fetchmail takes only unseen messages unless told `--all`: the first run takes
        // all (and marks them seen), later runs what is new, as a user would set it up
        argv: protocol === "IMAP" ? [...argv, "--all"] : argv,
        againArgv: argv,
        // 1: no new mail (the no-change run)
        okCodes: [0, 1],
        maildir,
      };
    },
  };
}

/** getmail6: SimpleIMAPRetriever, procmail into a Maildir (see below), nothing deleted. */
const getmail: PeerTool = {
  name: "getmail6",
  debianPackage: "getmail6",
  program: "getmail",
  // ≈ 3 messages/s here (a child process and a procmail per message, and stalls): 10,000 would
  // take most of an hour; it is stopped after 3 minutes and its rate reported
  timeoutMs: 180_000,
  supports: () => true,
  prepare(dir, t) {
    const maildir = _maildirRoot(dir);
    for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
    const rc = join(dir, "getmailrc");
    writeFileSync(
      rc,
      [
        "[retriever]",
        "type = SimpleIMAPRetriever",
        `server = ${t.host}`,
        `port = ${t.imapPort}`,
        `username = ${t.user}`,
        `password = ${t.password}`,
        `mailboxes = (${t.folders.map((f) => `"${f}"`).join(", ")},)`,
        "",
        // procmail as the MDA, as for fetchmail. getmail6's own Maildir delivery (6.18.11) forks a
        // child per message and can miss its SIGCHLD (the handler's notify may come before the
        // wait): each miss costs its 60 s timeout, and on this machine most deliveries missed it
        "[destination]",
        "type = MDA_external",
        "path = /usr/bin/procmail",
        `arguments = ("-m", "${_procmailrc(dir, maildir)}")`,
        "allow_root_commands = true",
        "",
        "[options]",
        "verbose = 0",
        "read_all = false",
        "delete = false",
        "message_log_syslog = false",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return { argv: ["getmail", "--getmaildir", dir, "--rcfile", rc], okCodes: [0], maildir };
  },
};

/** offlineimap3: one account, remote read-only, `-o` (one run), quiet UI. */
const offlineimap: PeerTool = {
  name: "offlineimap3",
  debianPackage: "offlineimap3",
  program: "offlineimap",
  supports: () => true,
  prepare(dir, t) {
    const maildir = _maildirRoot(dir);
    const rc = join(dir, "offlineimaprc");
    const folders = t.folders.map((f) => `'${f}'`).join(", ");
    writeFileSync(
      rc,
      [
        "[general]",
        "accounts = bench",
        `metadata = ${join(dir, "metadata")}`,
        "ui = quiet",
        "",
        "[Account bench]",
        "localrepository = near",
        "remoterepository = far",
        "",
        "[Repository near]",
        "type = Maildir",
        `localfolders = ${maildir}`,
        "",
        "[Repository far]",
        "type = IMAP",
        `remotehost = ${t.host}`,
        `remoteport = ${t.imapPort}`,
        `remoteuser = ${t.user}`,
        `remotepass = ${t.password}`,
        "ssl = no",
        "starttls = no",
        "readonly = True",
        `folderfilter = lambda folder: folder in [${folders}]`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return { argv: ["offlineimap", "-c", rc, "-o", "-u", "quiet"], okCodes: [0], maildir };
  },
};

/** Every peer, in the order they run (fetchmail over IMAP marks messages \Seen: it goes last). */
export const PEER_TOOLS: readonly PeerTool[] = [
  mbsync,
  getmail,
  offlineimap,
  _fetchmail("POP3"),
  _fetchmail("IMAP"),
];

/**
 * Counts the message files of a Maildir tree (files in every `cur/` and `new/` below `root`).
 *
 * @param root the Maildir root
 * @returns message files found
 */
export function countMaildirMessages(root: string): number {
  let count = 0;
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    const isBox = dir.endsWith("/cur") || dir.endsWith("/new");
    for (const entry of entries) {
      const path = join(dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) walk(path);
      else if (isBox && stat.isFile()) count++;
    }
  };
  walk(root);
  return count;
}

/** A procmailrc that files every message into the Maildir `maildir`. */
function _procmailrc(dir: string, maildir: string): string {
  const procmailrc = join(dir, "procmailrc");
  writeFileSync(
    procmailrc,
    [`MAILDIR=${maildir}/`, "LOGFILE=/dev/null", ":0", `${maildir}/`, ""].join("\n"),
    {
      mode: 0o600,
    },
  );
  return procmailrc;
}

function _maildirRoot(dir: string): string {
  const maildir = join(dir, "Maildir");
  mkdirSync(maildir, { recursive: true });
  return maildir;
}
