import { isMailregError, validateConfig } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { mailboxDirectory } from "./memory-outbox.ts";
import type { SendingMailbox } from "./ports.ts";
import { resolveForAddress } from "./resolve-for-address.ts";

const config = validateConfig({
  servers: [
    {
      id: "corp-imap",
      label: "Corp",
      protocol: "imap",
      host: "imap.corp.example",
      port: 993,
      security: "tls",
      smtp: { host: "smtp.corp.example", port: 587, auth: { method: "plain" } },
    },
  ],
  instances: [
    { id: "sales", label: "Sales", smtp: { host: "smtp.sales.example", port: 587 } },
    { id: "support", label: "Support" },
  ],
  smtp: {
    company: { enabled: false, host: "relay.corp.example", port: 25 },
    default: {
      host: "smtp.example.org",
      port: 465,
      auth: { method: "plain", user: "relay", password: "pw" },
    },
  },
});

const ann = (over: Partial<SendingMailbox> = {}): SendingMailbox => ({
  id: "ann-sales",
  address: "ann@example.org",
  instanceId: "sales",
  template: "corp-imap",
  login: "ann",
  authMethod: "password",
  ...over,
});

describe("resolveForAddress() from a config alone", () => {
  it("walks company → instance → default for the named instance, with no mailbox and no database", async () => {
    const r = await resolveForAddress(config, " Ann@EXAMPLE.org ", { instanceId: "sales" });
    expect(r).toMatchObject({
      resolved: true,
      level: "instance",
      source: "instance:sales",
      address: "Ann@example.org",
    });
    expect(r.mailbox).toBeUndefined();
    expect(r.passedOver.map((p) => `${p.level}:${p.reason}`)).toEqual([
      "mailbox:not-set",
      "company:disabled",
    ]);
  });

  it("falls through to the default level when no instance is named, and honours own settings first", async () => {
    const r = await resolveForAddress(config, "ann@example.org");
    expect(r.resolved && r.effective.host).toBe("smtp.example.org");
    expect(r.passedOver.map((p) => p.reason)).toEqual(["not-set", "disabled", "not-set"]);
    const own = await resolveForAddress(config, "ann@example.org", {
      own: { host: "own.example.org", port: 587 },
    });
    expect(own.resolved && own.level).toBe("mailbox");
  });

  it("refuses an address that is not one", async () => {
    await expect(resolveForAddress(config, "no-at-sign")).rejects.toSatisfy((e) =>
      isMailregError(e, "ADDRESS_INVALID"),
    );
  });
});

describe("resolveForAddress() with a mailbox directory", () => {
  it("resolves the address's mailbox: its own settings, then its template's SMTP counterpart", async () => {
    const directory = mailboxDirectory([ann()]);
    const viaTemplate = await resolveForAddress(config, "ann@example.org", { directory });
    expect(viaTemplate).toMatchObject({ level: "mailbox", source: "template:corp-imap" });
    expect(viaTemplate.mailbox.id).toBe("ann-sales");
    // the mailbox logs in with its own login at the template's server
    expect(viaTemplate.resolved && viaTemplate.effective.auth).toEqual({
      method: "plain",
      user: "ann",
      credentials: "mailbox",
    });
    const withOwn = mailboxDirectory([ann({ smtp: { host: "own.example.org", port: 2525 } })]);
    expect(await resolveForAddress(config, "ann@example.org", { directory: withOwn })).toMatchObject({
      level: "mailbox",
      source: "mailbox",
      effective: { host: "own.example.org", port: 2525 },
    });
  });

  it("says NOT_FOUND for an unknown address and CONFLICT when several instances have it and none is named", async () => {
    const directory = mailboxDirectory([
      ann(),
      ann({ id: "ann-support", instanceId: "support", template: null }),
    ]);
    await expect(resolveForAddress(config, "bob@example.org", { directory })).rejects.toSatisfy((e) =>
      isMailregError(e, "NOT_FOUND"),
    );
    await expect(resolveForAddress(config, "ann@example.org", { directory })).rejects.toSatisfy(
      (e) => isMailregError(e, "CONFLICT") && e.message.includes("sales, support"),
    );
    const support = await resolveForAddress(config, "ann@example.org", { directory, instanceId: "support" });
    expect(support).toMatchObject({ level: "default", mailbox: { id: "ann-support" } });
  });
});
