import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, type ErrorCode, errorInfo, MailregError } from "./errors.ts";

const WORKSPACE = fileURLToPath(new URL("../../..", import.meta.url));

/** The TypeScript sources (no tests, no builds) of every package, app and tool. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.includes(".test.") && !name.endsWith(".d.ts")) out.push(path);
    }
  };
  for (const group of ["packages", "apps", "tools"])
    for (const member of readdirSync(join(WORKSPACE, group))) {
      const src = join(WORKSPACE, group, member, "src");
      if (statSync(src, { throwIfNoEntry: false })?.isDirectory() === true) walk(src);
    }
  return out;
}

describe("ERROR_CODES", () => {
  it("documents every code: upper-case name, a sentence-case description without a full stop", () => {
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      expect(description, code).toMatch(/^[A-Z].*[^.\s]$/);
      // each code builds an error whose default message is its description
      expect(new MailregError(code as ErrorCode).message).toBe(description);
    }
  });

  it("holds every code the workspace's sources report (error and errorCode literals, failure reasons)", () => {
    const used = new Map<string, string>();
    for (const file of sources()) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\b(?:errorCode|code)\s*[:=]\s*"([A-Z][A-Z0-9_]{2,})"/g))
        used.set(m[1] ?? "", file);
      for (const m of text.matchAll(/new MailregError\(\s*"([A-Z][A-Z0-9_]+)"/g)) used.set(m[1] ?? "", file);
    }
    // libraries' own codes a source compares against, and the POP3 client's -ERR, which the adapter
    // translates (mail-error.ts): never reported as ours (errorInfo() would make them INTERNAL)
    const foreign = /^(E[A-Z]+|SQLITE_[A-Z_]+|ERR_[A-Z_]+|HTTP_[A-Z_]+|POP3_ERR)$/;
    const undocumented = [...used].filter(([code]) => !(code in ERROR_CODES) && !foreign.test(code));
    expect(undocumented).toEqual([]);
    expect(used.size).toBeGreaterThan(20); // the scan found the codes (it cannot pass by finding nothing)
  });
});

describe("errorInfo()", () => {
  const libsql = (code: string, message: string) => Object.assign(new Error(message), { code });

  it("keeps a MailregError's code and message, also as a cause", () => {
    const inner = new MailregError("MAIL_AUTH_FAILED", "The server refused the login");
    expect(errorInfo(inner)).toEqual({ code: "MAIL_AUTH_FAILED", message: "The server refused the login" });
    expect(errorInfo(new Error("wrapped", { cause: inner })).code).toBe("MAIL_AUTH_FAILED");
  });

  it("reports a refused commit as STORE_CONSTRAINT with the database's message, not the query's parameters", () => {
    const refused = libsql("SQLITE_CONSTRAINT", "SQLITE_CONSTRAINT: UNIQUE constraint failed: messages.id");
    const wrapped = new Error('Failed query: insert into "messages" values (?)\nparams: secret-subject', {
      cause: refused,
    });
    const info = errorInfo(wrapped);
    expect(info.code).toBe("STORE_CONSTRAINT");
    expect(info.message).toContain("UNIQUE constraint failed: messages.id");
    expect(info.message).not.toContain("secret-subject");
  });

  it("reports a database that cannot be used as STORE_UNAVAILABLE, and anything else as INTERNAL", () => {
    expect(errorInfo(libsql("SQLITE_BUSY", "database is locked")).code).toBe("STORE_UNAVAILABLE");
    expect(errorInfo(libsql("SQLITE_ERROR", "no such table: x"))).toEqual({
      code: "INTERNAL",
      message: "no such table: x",
    });
    expect(errorInfo(libsql("ECONNRESET", "socket hang up")).code).toBe("INTERNAL");
    expect(errorInfo("a string")).toEqual({ code: "INTERNAL", message: "a string" });
  });
});
