import { describe, expect, it } from "vitest";
import { INSTALL_HINT, requireProgram, runCommand, which } from "./command.ts";

describe("requireProgram()", () => {
  it("names the apt packages to install when a program is missing", () => {
    expect(() => requireProgram("mailreg-no-such-program")).toThrow(
      expect.objectContaining({ code: "DEPENDENCY_MISSING", message: expect.stringContaining(INSTALL_HINT) }),
    );
    expect(INSTALL_HINT).toContain("dovecot-imapd dovecot-pop3d dovecot-submissiond openssl");
  });

  it("finds Dovecot in /usr/sbin even when PATH lacks it", () => {
    const path = process.env.PATH;
    process.env.PATH = "/usr/bin:/bin";
    try {
      expect(which("dovecot")).toMatch(/\/sbin\/dovecot$/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("runCommand()", () => {
  it("reports the exit code and output instead of throwing", async () => {
    expect(await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"])).toEqual({
      code: 3,
      stdout: "out\n",
      stderr: "err\n",
    });
  });
});
