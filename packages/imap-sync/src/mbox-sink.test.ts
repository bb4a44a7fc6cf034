import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MessageKey, SinkMessage } from "./sink.ts";
import { createSink, SINKS } from "./sinks.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-mbox-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const envelope = (from: string) => ({
  from: [{ address: from }],
  sender: [],
  replyTo: [],
  to: [],
  cc: [],
  bcc: [],
});

function message(raw: string, from = "ann@example.org"): SinkMessage {
  const bytes = new TextEncoder().encode(raw);
  return {
    id: "m",
    raw: bytes,
    size: bytes.length,
    flags: [],
    internalDate: new Date("2026-12-08T09:05:03Z"),
    envelope: envelope(from),
    delimiter: "/",
  };
}

const key = (uid: number, mailboxId = "mb-1"): MessageKey => ({
  mailboxId,
  folder: "INBOX",
  uidValidity: 7,
  uid,
});

/** Reads an mboxrd file back: each message without its From line, unquoted. */
function messagesOf(text: string): { from: string; lines: string[] }[] {
  const out: { from: string; lines: string[] }[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("From ")) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line.replace(/^>(>*From )/, "$1"));
  }
  return out;
}

const RAW =
  "From: Ann <ann@example.org>\r\nSubject: Quarterly\r\n\r\nFrom the desk of Ann:\r\n>From earlier\r\nbye\r\n";

describe("the mbox sink", () => {
  it("appends each message after a From line, quoting From lines mboxrd-style, in a 0600 file", async () => {
    const path = join(dir, "out", "all.mbox");
    const sink = createSink({ kind: "mbox", path }, "archive");
    expect(sink.id).toBe("archive");
    await sink.store(message(RAW), key(1), "h1");
    await sink.store(
      message("Subject: second\r\n\r\nno newline at the end", "bob@example.org"),
      key(2),
      "h2",
    );
    const text = await readFile(path, "latin1");
    expect(text).toBe(
      "From ann@example.org Tue Dec  8 09:05:03 2026\n" +
        "X-Mailreg-Key: mb-1 INBOX 7:1\n" +
        "From: Ann <ann@example.org>\nSubject: Quarterly\n\n>From the desk of Ann:\n>>From earlier\nbye\n\n" +
        "From bob@example.org Tue Dec  8 09:05:03 2026\n" +
        "X-Mailreg-Key: mb-1 INBOX 7:2\n" +
        "Subject: second\n\nno newline at the end\n\n",
    );
    const [first] = messagesOf(text);
    expect(first?.lines.slice(1).join("\n")).toBe(RAW.replaceAll("\r\n", "\n"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "out"))).mode & 0o777).toBe(0o700);
  });

  it("keeps 8-bit bytes as they are", async () => {
    const path = join(dir, "8bit.mbox");
    const raw = new Uint8Array([
      ...new TextEncoder().encode("Subject: x\r\n\r\n"),
      0xe4,
      0x80,
      0xff,
      0x0d,
      0x0a,
    ]);
    const sink = createSink({ kind: "mbox", path });
    await sink.store({ ...message(""), raw, size: raw.length }, key(1), "h");
    const bytes = new Uint8Array(await readFile(path));
    expect([...bytes.slice(-5)]).toEqual([0xe4, 0x80, 0xff, 0x0a, 0x0a]);
  });

  it("appends a key once, also for a new sink reading the file again (a repeated chunk adds nothing)", async () => {
    const path = join(dir, "once.mbox");
    const sink = createSink({ kind: "mbox", path });
    await sink.store(message(RAW), key(1), "h1");
    await sink.store(message(RAW), key(1), "h1");
    const again = createSink({ kind: "mbox", path });
    await again.store(message(RAW), key(1), "h1");
    await again.store(message(RAW), key(2), "h2");
    await again.store(message(RAW), { mailboxId: "mb-1", folder: "INBOX", uidl: "abc 1" }, "h3");
    await createSink({ kind: "mbox", path }).store(
      message(RAW),
      { mailboxId: "mb-1", folder: "INBOX", uidl: "abc 1" },
      "h3",
    );
    const froms = messagesOf(await readFile(path, "latin1")).map((m) => m.lines[0]);
    expect(froms).toEqual([
      "X-Mailreg-Key: mb-1 INBOX 7:1",
      "X-Mailreg-Key: mb-1 INBOX 7:2",
      "X-Mailreg-Key: mb-1 INBOX uidl:abc%201",
    ]);
  });

  it("writes a file per mailbox with {mailbox}, and concurrent deliveries never interleave", async () => {
    const sink = createSink({ kind: "mbox", path: join(dir, "{mailbox}.mbox") });
    const big = `Subject: big\r\n\r\n${"x".repeat(200_000)}\r\n`;
    await Promise.all([
      sink.store(message(big), key(1, "ann"), "h"),
      sink.store(message(RAW), key(2, "ann"), "h"),
      sink.store(message(RAW), key(1, "bob"), "h"),
      createSink({ kind: "mbox", path: join(dir, "{mailbox}.mbox") }).store(message(big), key(3, "ann"), "h"),
    ]);
    const ann = messagesOf(await readFile(join(dir, "ann.mbox"), "latin1"));
    expect(ann.map((m) => m.lines[0]).sort()).toEqual([
      "X-Mailreg-Key: ann INBOX 7:1",
      "X-Mailreg-Key: ann INBOX 7:2",
      "X-Mailreg-Key: ann INBOX 7:3",
    ]);
    for (const m of ann.filter((m) => m.lines.includes("Subject: big"))) {
      expect(m.lines).toContain("x".repeat(200_000));
    }
    expect(messagesOf(await readFile(join(dir, "bob.mbox"), "latin1"))).toHaveLength(1);
  });

  it("starts its entry on a line of its own after a write that was cut short", async () => {
    const path = join(dir, "cut.mbox");
    await writeFile(path, "From x Tue Dec  8 09:05:03 2026\nSubject: cut\n\nhalf a li", { mode: 0o644 });
    await createSink({ kind: "mbox", path }).store(message(RAW), key(1), "h");
    const text = await readFile(path, "latin1");
    expect(text).toContain("half a li\n\nFrom ann@example.org ");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("is a kind the config can name: its options are checked at their path", () => {
    const connectors = { sources: new Map(), sinks: SINKS, providers: new Map() };
    const config = validateConfig(
      { sinks: { archive: { kind: "mbox", path: "/srv/mail/{mailbox}.mbox" } } },
      connectors,
    );
    expect(config.sinks.archive).toEqual({ kind: "mbox", path: "/srv/mail/{mailbox}.mbox" });
    expect(() => validateConfig({ sinks: { archive: { kind: "mbox", file: "x" } } }, connectors)).toThrow(
      expect.objectContaining({
        details: {
          issues: [
            { path: "sinks.archive.path", message: expect.any(String) },
            { path: "sinks.archive.file", message: "unknown key" },
          ],
        },
      }),
    );
  });
});
