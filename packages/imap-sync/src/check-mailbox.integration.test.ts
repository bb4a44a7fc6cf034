import { freePorts } from "@mailreg/mailservers";
import { describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, trustTest } from "./_test-servers.ts";
import { checkMailbox } from "./check-mailbox.ts";

const dovecot = inject("mailservers").dovecot;

describe("checkMailbox() against Dovecot", () => {
  it("reports each step with its time and lists the folders with their special use", async () => {
    const user = freshUser(dovecot);
    const result = await checkMailbox(profileFor(dovecot, user), trustTest(dovecot));
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ["connect", true],
      ["login", true],
      ["folders", true],
      ["logout", true],
    ]);
    for (const step of result.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    const uses = Object.fromEntries(result.folders.map((f) => [f.path, f.specialUse]));
    expect(uses).toMatchObject({
      INBOX: "\\Inbox",
      Sent: "\\Sent",
      Trash: "\\Trash",
      Drafts: "\\Drafts",
      Junk: "\\Junk",
    });
    expect(result.steps[2]!.detail).toContain("Trash: Trash");
    expect(result.folders.every((f) => f.delimiter === "/")).toBe(true);
  });

  it("checks a POP3 mailbox the same way (one folder)", async () => {
    const user = freshUser(dovecot);
    const result = await checkMailbox(profileFor(dovecot, user, "pop3", "tls"), trustTest(dovecot));
    expect(result.ok).toBe(true);
    expect(result.folders.map((f) => f.path)).toEqual(["INBOX"]);
  });

  it("stops at the login step with the reason auth for a wrong password", async () => {
    const user = freshUser(dovecot);
    const result = await checkMailbox(
      profileFor(dovecot, { ...user, password: "Falsch-123" }),
      trustTest(dovecot),
    );
    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => s.step)).toEqual(["connect", "login"]);
    expect(result.steps[1]).toMatchObject({ ok: false, reason: "auth" });
    expect(result.steps[1]!.message).not.toContain("Falsch-123");
  });

  it("stops at the connect step with the reason unreachable for a closed port", async () => {
    const user = freshUser(dovecot);
    const [port] = await freePorts(1);
    const result = await checkMailbox({ ...profileFor(dovecot, user), port: port! }, trustTest(dovecot));
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ step: "connect", ok: false, reason: "unreachable" });
  });

  it("stops at the login step with the reason tls for an untrusted certificate", async () => {
    const user = freshUser(dovecot);
    const result = await checkMailbox(profileFor(dovecot, user, "imap", "tls"), { timeoutMs: 5_000 });
    expect(result.steps[1]).toMatchObject({ step: "login", ok: false, reason: "tls" });
  });
});
