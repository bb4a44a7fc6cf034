import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GeneratedMessage } from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mailFolder } from "../../test/mail-folder.ts";
import { runCli } from "../testing.ts";

const dovecot = inject("mailservers").dovecot;
const running = { untilStopped: () => new Promise<string>(() => {}) };

let dir: string;
let address: string;
let messages: GeneratedMessage[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-messages-"));
  const folder = await mailFolder(dir, dovecot);
  const added = await folder.addMailbox({ count: 20, seed: 77 });
  address = added.mailbox.address;
  messages = added.messages;
  const sync = await runCli(["mailboxes", "sync", address, "--json"], { cwd: dir, ...running });
  if (sync.code !== 0) throw new Error(sync.stderr);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Listed {
  id: string;
  subject: string;
  from: { address: string }[];
  size: number;
}

describe("mailreg messages", () => {
  it("list shows the collected messages newest first, and --search (words of the body too), --from, --subject, --folder, --since narrow them", async () => {
    const all = await runCli(["messages", "list", address, "--limit", "100", "--json"], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    const listed = all.json<Listed[]>();
    expect(listed).toHaveLength(messages.length);
    expect(listed.map((m) => m.subject).sort()).toEqual(messages.map((m) => m.subject).sort());
    const sender = messages[3]!.from;
    const byFrom = await runCli(["messages", "list", address, "--from", sender, "--json"], { cwd: dir });
    expect(byFrom.json<Listed[]>().map((m) => m.from[0]?.address)).toEqual(
      messages.filter((m) => m.from === sender).map(() => sender),
    );
    const word = messages[5]!.subject.split(/\s+/).find((w) => /^\p{L}{4,}$/u.test(w))!;
    const bySearch = (
      await runCli(["messages", "list", address, "--subject", word, "--json"], { cwd: dir })
    ).json<Listed[]>();
    expect(bySearch.length).toBeGreaterThan(0);
    for (const m of bySearch) expect(m.subject.toLowerCase()).toContain(word.toLowerCase());
    // the text bodies were indexed after the collection run (`mailboxes sync` runs the indexer)
    const inBody = messages.filter((m) => /\bFrühling\b/i.test(m.raw.split("\r\n\r\n").slice(1).join("\n")));
    expect(inBody.length).toBeGreaterThan(0);
    const byBody = (
      await runCli(["messages", "list", address, "--search", "fruhling", "--limit", "100", "--json"], {
        cwd: dir,
      })
    ).json<(Listed & { messageId: string })[]>();
    expect(byBody.map((m) => `<${m.messageId}>`).sort()).toEqual(inBody.map((m) => m.messageId).sort());
    expect(
      (await runCli(["messages", "list", address, "--folder", "Nope", "--json"], { cwd: dir })).json(),
    ).toEqual([]);
    expect(
      (await runCli(["messages", "list", address, "--since", "2999-01-01", "--json"], { cwd: dir })).json(),
    ).toEqual([]);
    const human = await runCli(["messages", "list", address, "--limit", "3"], { cwd: dir });
    expect(human.stdout).toMatch(/^RECEIVED\s+FOLDER\s+FROM\s+SUBJECT/);
    expect(human.stdout.trim().split("\n")).toHaveLength(4);
    const bad = await runCli(["messages", "list", address, "--since", "last week"], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("since");
  });

  it("show prints one message's envelope, folder, size and sinks", async () => {
    const [first] = (
      await runCli(["messages", "list", address, "--limit", "1", "--json"], { cwd: dir })
    ).json<Listed[]>();
    const shown = await runCli(["messages", "show", first!.id], { cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`subject:`);
    expect(shown.stdout).toContain(first!.subject);
    expect(shown.stdout).toMatch(/folder:\s+INBOX/);
    expect(shown.stdout).toMatch(/raw:\s+stored/);
    expect((await runCli(["messages", "show", "no-such-id"], { cwd: dir })).code).toBe(1);
  });

  it("export writes every message byte for byte into a Maildir, and as mboxrd into an mbox file", async () => {
    const maildir = join(dir, "export-maildir");
    const toMaildir = await runCli(["messages", "export", address, "--maildir", maildir, "--json"], {
      cwd: dir,
    });
    expect(toMaildir.code, toMaildir.stderr).toBe(0);
    expect(toMaildir.json()).toMatchObject({ format: "maildir", exported: messages.length, skipped: [] });
    const files = await readdir(join(maildir, "cur"));
    expect(files).toHaveLength(messages.length);
    const contents = await Promise.all(files.map((f) => readFile(join(maildir, "cur", f), "latin1")));
    expect(contents.sort()).toEqual(messages.map((m) => Buffer.from(m.raw).toString("latin1")).sort());

    const mbox = join(dir, "export.mbox");
    const toMbox = await runCli(["messages", "export", address, "--mbox", mbox], { cwd: dir });
    expect(toMbox.code, toMbox.stderr).toBe(0);
    expect(toMbox.stdout).toContain(`exported: ${messages.length} messages`);
    const text = await readFile(mbox, "latin1");
    expect(text.match(/^From \S+ \w{3} \w{3} /gm)).toHaveLength(messages.length);
    for (const m of messages) {
      const lf = Buffer.from(m.raw)
        .toString("latin1")
        .replaceAll("\r\n", "\n")
        .replace(/^(>*From )/gm, ">$1");
      expect(text).toContain(lf);
    }
    const usage = await runCli(["messages", "export", address], { cwd: dir });
    expect(usage.code).toBe(2);
  });
});
