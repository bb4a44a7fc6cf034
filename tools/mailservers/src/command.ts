/**
 * Running the system programs this package drives (dovecot, doveadm, openssl) and finding them.
 *
 * @module
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { MailregError } from "@mailreg/core";

/** What a finished command printed. */
export interface CommandResult {
  /** Exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

/** The apt line that installs everything this package needs on Debian/Ubuntu. */
export const INSTALL_HINT =
  "apt-get update && apt-get install -y --no-install-recommends dovecot-imapd dovecot-pop3d dovecot-submissiond openssl " +
  "(or run `node tools/mailservers/bin/ensure-deps.mjs`, which `npm test` runs first)";

/**
 * The full path of an executable, searching PATH and the sbin directories (Dovecot lives in /usr/sbin,
 * which non-login shells may lack on PATH).
 *
 * @param name program name
 * @returns its path, or undefined when it is not installed
 */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The path of a required program, or a `DEPENDENCY_MISSING` error that says how to install it.
 *
 * @param name program name
 * @returns its path
 */
export function requireProgram(name: string): string {
  const path = which(name);
  if (path === undefined) {
    throw new MailregError(
      "DEPENDENCY_MISSING",
      `${name} is not installed; install it with: ${INSTALL_HINT}`,
      {
        details: { program: name },
      },
    );
  }
  return path;
}

/**
 * Runs a program to completion without a shell. Never rejects on a non-zero exit: callers read `code`.
 *
 * @param program program path or name
 * @param args its arguments (never put a secret here: they are visible in the process list)
 * @param timeoutMs kill it after this long
 * @returns exit code and output
 */
export function runCommand(
  program: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") {
          reject(
            new MailregError("INTERNAL", `Could not run ${program}: ${error.message}`, { cause: error }),
          );
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

/**
 * Runs a program that daemonises (forks a server and exits), e.g. `dovecot -c FILE`. Its output goes
 * to `outputFile` rather than to pipes, which the daemon would hold open; resolves when the starter exits.
 *
 * @param program program path
 * @param args its arguments
 * @param outputFile receives stdout and stderr of the starter and the daemon
 * @returns exit code and what the starter printed (in `stderr`)
 */
export function runDaemonStarter(
  program: string,
  args: readonly string[],
  outputFile: string,
): Promise<CommandResult> {
  const fd = openSync(outputFile, "w", 0o600);
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", fd, fd] });
    child.once("error", (error) =>
      reject(new MailregError("INTERNAL", `Could not run ${program}: ${error.message}`, { cause: error })),
    );
    child.once("exit", (code, signal) => {
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: "",
        stderr: readFileSync(outputFile, "utf8"),
      });
    });
  }).finally(() => closeSync(fd));
}
