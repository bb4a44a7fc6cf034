import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "@mailreg/core";
import { type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, testWorld, trustTest } from "./_test-servers.ts";
import { sinksFromConfig } from "./configured-sinks.ts";
import { SINKS } from "./sinks.ts";
import { SOURCES } from "./sources.ts";
import { syncMailbox } from "./sync-mailbox.ts";

const dovecot = inject("mailservers").dovecot;
const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;

/** The messages of an mboxrd file: raw text with CRLF ends again, From lines unquoted, key header dropped. */
function readMbox(file: string): { from: string; raw: string }[] {
  const out: { from: string; lines: string[] }[] = [];
  // each entry ends with an empty line; the file's last newline ends the last of those
  for (const line of readFileSync(file, "latin1").replace(/\n$/, "").split("\n")) {
    if (line.startsWith("From ")) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line.replace(/^>(>*From )/, "$1"));
  }
  return out.map(({ from, lines }) => ({
    from,
    // drop the key header and the empty line that ends each entry
    raw: Buffer.from(`${lines.slice(1, -1).join("\r\n")}\r\n`, "latin1").toString("utf8"),
  }));
}

describe("the mbox sink against a real Dovecot", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-mbox-it-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a routing rule sends invoices to the mbox file and the rest to a Maildir; a second run adds nothing", async () => {
    const user = freshUser(dovecot);
    const generated = [...generateMessages({ count: 30, seed: 4711 })];
    const quoted: GeneratedMessage = {
      ...generated[0]!,
      messageId: "from-line@example.test",
      subject: "Rechnung mit From-Zeile",
      raw:
        "From: Ann <ann@kunde.example>\r\nTo: shop@example.test\r\nSubject: Rechnung mit From-Zeile\r\n" +
        "Message-ID: <from-line@example.test>\r\nDate: Tue, 08 Dec 2026 09:00:00 +0000\r\n\r\n" +
        "From the accounts department:\r\n>From the last reminder\r\nFrom here on\r\n",
    };
    const messages = [...generated, { ...quoted, size: quoted.raw.length }];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);

    // the config as a file holds it, validated against the registries as the worker does at start
    const config = validateConfig(
      {
        sinks: {
          invoices: { kind: "mbox", path: join(dir, "{mailbox}", "invoices.mbox") },
          rest: { kind: "maildir", root: join(dir, "maildir") },
        },
        instances: [
          {
            id: "main",
            label: "Main",
            routing: { rules: [{ match: { subject: "rechnung" }, sinks: ["invoices"] }], default: ["rest"] },
          },
        ],
      },
      { sources: SOURCES, sinks: SINKS, providers: new Map() },
    );
    const sinks = sinksFromConfig(config.sinks, {});
    const world = await testWorld();
    const mailbox = await world.addMailbox(profileFor(dovecot, user));
    const options = {
      state: world.state,
      keyring: world.keyring,
      connect: trustTest(dovecot),
      folderPolicy: INBOX_ONLY,
      sinks,
      ...(config.instances[0]?.routing === undefined ? {} : { routing: config.instances[0].routing }),
    };
    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: messages.length });

    const invoices = messages.filter((m) => m.subject.toLowerCase().includes("rechnung"));
    expect(invoices.length).toBeGreaterThan(1);
    const file = join(dir, mailbox.id, "invoices.mbox");
    const stored = readMbox(file);
    expect(stored.map((m) => m.raw).sort()).toEqual(invoices.map((m) => m.raw).sort());
    expect(stored.find((m) => m.raw.includes("accounts department"))?.from).toMatch(
      /^From ann@kunde\.example \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/,
    );
    const text = readFileSync(file, "latin1");
    expect(text).toContain("\n>From the accounts department:\n>>From the last reminder\n>From here on\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const cur = join(dir, "maildir", mailbox.id, "cur");
    expect(readdirSync(cur)).toHaveLength(messages.length - invoices.length);

    expect(await syncMailbox(mailbox, options)).toMatchObject({ status: "ok", fetched: 0 });
    expect(readFileSync(file, "latin1")).toBe(text);
  });
});
