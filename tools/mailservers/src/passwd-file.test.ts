import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addPasswdUser, passwdLine } from "./passwd-file.ts";

const dir = mkdtempSync(join(tmpdir(), "mailreg-passwd-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("passwdLine()", () => {
  it("writes a PLAIN password line", () => {
    expect(passwdLine({ user: "bob@example.test", password: "s3cret!" })).toBe(
      "bob@example.test:{PLAIN}s3cret!\n",
    );
  });

  it("refuses logins and passwords that could break the file or escape its directory", () => {
    for (const user of ["Alice", "a:b", "a/b", "../x", "", "a b"]) {
      expect(() => passwdLine({ user, password: "pw" }), user).toThrow(/not a usable Dovecot login/);
    }
    for (const password of ["", "a:b", "a\nb", "a\rb"]) {
      expect(() => passwdLine({ user: "ok", password }), JSON.stringify(password)).toThrow(/password of ok/);
    }
  });

  it("never puts the refused password into the error message", () => {
    expect(() => passwdLine({ user: "ok", password: "hunter2:x" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });
});

describe("addPasswdUser()", () => {
  it("writes one group-readable file per user, replacing an earlier password", () => {
    addPasswdUser(dir, { user: "carol", password: "one" });
    addPasswdUser(dir, { user: "carol", password: "two" });
    expect(readFileSync(join(dir, "carol"), "utf8")).toBe("carol:{PLAIN}two\n");
    expect(statSync(join(dir, "carol")).mode & 0o777).toBe(0o640);
  });
});
