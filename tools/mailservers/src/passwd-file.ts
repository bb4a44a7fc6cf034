/**
 * Dovecot's passwd-file users, one file per user: `<dir>/<user>` holds `user:{PLAIN}password`.
 *
 * One file per user because Dovecot looks at a passwd-file at most once per second: a line appended
 * to a shared file within a second of the last login stays unseen until the next second. A new file
 * is read on the user's first login, so adding a user takes one file write, from any process that may
 * write the directory (tests call {@link addPasswdUser} with the `passwdDir` they were given).
 *
 * @module
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
    throw new MailregError(
      "VALIDATION",
      `"${user.user}" is not a usable Dovecot login (lower case a-z 0-9 . _ + - @)`,
    );
  }
  if (user.password === "" || /[:\r\n\0]/.test(user.password)) {
    throw new MailregError(
      "VALIDATION",
      `The password of ${user.user} is empty or contains ':', CR, LF or NUL`,
    );
  }
  return `${user.user}:{PLAIN}${user.password}\n`;
}

/**
 * Creates the users directory: owned by root and the `dovecot` group with the setgid bit, so that
 * every file written into it is readable by Dovecot's auth process (which runs as `dovecot`).
 *
 * @param dir the directory to create
 * @param users its first users
 * @param dovecotGid the `dovecot` group id
 */
export function createPasswdDir(dir: string, users: readonly MailUser[], dovecotGid: number): void {
  mkdirSync(dir);
  chownSync(dir, 0, dovecotGid);
  chmodSync(dir, 0o2750); // after chown, which clears setgid
  for (const user of users) addPasswdUser(dir, user);
}

/**
 * Adds (or replaces) a user. Dovecot sees it on the next login, without a reload; the user's
 * maildir appears on first login.
 *
 * @param dir the users directory (`passwdDir` of a Dovecot handle or of the provided test context)
 * @param user the user
 * @example
 * ```ts
 * import { inject } from "vitest";
 * addPasswdUser(inject("mailservers").dovecot.passwdDir, { user: "carol", password: "pw-carol" });
 * ```
 */
export function addPasswdUser(dir: string, user: MailUser): void {
  writeFileSync(join(dir, user.user), passwdLine(user), { mode: 0o640 });
}
