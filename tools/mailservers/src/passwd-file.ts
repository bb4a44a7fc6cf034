/**
 * Dovecot's passwd-file: one `user:{PLAIN}password` line per user.
 *
 * Dovecot re-reads the file when it changes, so appending a line is all it takes to add a user, from
 * any process that may write the file (tests call {@link addPasswdUser} with the path they were given).
 *
 * @module
 */
import { appendFileSync, chownSync, writeFileSync } from "node:fs";
import { MailregError } from "@mailreg/core";

/** A mail user with a password. */
export interface MailUser {
  /** Login name: lower case letters, digits and `. _ + - @` (Dovecot lower-cases logins). */
  user: string;
  password: string;
}

const USER_PATTERN = /^[a-z0-9][a-z0-9._+@-]{0,254}$/;

/**
 * The passwd-file line for a user, validated so that no line can break the file.
 *
 * @param user the user
 * @returns the line, with its newline
 */
export function passwdLine(user: MailUser): string {
  if (!USER_PATTERN.test(user.user)) {
    throw new MailregError("VALIDATION", `"${user.user}" is not a usable Dovecot login (lower case a-z 0-9 . _ + - @)`);
  }
  if (user.password === "" || /[:\r\n\0]/.test(user.password)) {
    throw new MailregError("VALIDATION", `The password of ${user.user} is empty or contains ':', CR, LF or NUL`);
  }
  return `${user.user}:{PLAIN}${user.password}\n`;
}

/**
 * Creates the passwd-file with its users, mode 0640, owned by root and the `dovecot` group (Dovecot's
 * auth process runs as `dovecot`; a file readable only by root gives `temp_fail`).
 *
 * @param path where to write it
 * @param users its users
 * @param dovecotGid the `dovecot` group id
 */
export function writePasswdFile(path: string, users: readonly MailUser[], dovecotGid: number): void {
  writeFileSync(path, users.map(passwdLine).join(""), { mode: 0o640 });
  chownSync(path, 0, dovecotGid);
}

/**
 * Adds a user to an existing passwd-file (an `O_APPEND` write, safe from parallel test processes).
 * Dovecot sees the user on its next login, without a reload; the maildir appears on first login.
 *
 * @param path the passwd-file (`passwdFile` of a Dovecot handle or of the provided test context)
 * @param user the user to add
 * @example
 * ```ts
 * import { inject } from "vitest";
 * addPasswdUser(inject("mailservers").dovecot.passwdFile, { user: "carol", password: "pw-carol" });
 * ```
 */
export function addPasswdUser(path: string, user: MailUser): void {
  appendFileSync(path, passwdLine(user));
}
