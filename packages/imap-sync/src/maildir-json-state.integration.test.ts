// A program with no database: a Dovecot mailbox collected into a Maildir, run after run, with the
// sync state in a JSON file (what the README's example does). Each run opens the state file and a
// new sink afresh, as separate invocations of such a program would.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DovecotInfo, type GeneratedMessage, generateMessages, seedMaildir } from "@mailreg/mailservers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshUser, profileFor, seedTarget, trustTest } from "./_test-servers.ts";
import { openJsonFileSyncState } from "./json-file-sync-state.ts";
import { createMaildirSink } from "./maildir-sink.ts";
import type { MailboxRecord } from "./ports.ts";
import { sinkName } from "./sink-dispatch.ts";
import { syncMailbox } from "./sync-mailbox.ts";

const dovecot = inject("mailservers").dovecot;
const ALL = { mode: "all", folders: [], includeSubfolders: true, exclude: [] } as const;

/** How many messages a folder holds on the server, per doveadm. */
async function onServer(info: DovecotInfo, user: string, folder: string): Promise<number> {
  const out = await seedTarget(info).doveadm(["mailbox", "status", "-u", user, "messages", folder]);
  return Number(/messages=(\d+)/.exec(out)?.[1] ?? Number.NaN);
}

/** The raw messages in a Maildir folder's cur/, sorted. */
function inMaildir(dir: string): string[] {
  const cur = join(dir, "cur");
  let names: string[] = [];
  try {
    names = readdirSync(cur);
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(join(cur, n), "utf8")).sort();
}

const raws = (messages: GeneratedMessage[]) => messages.map((m) => m.raw).sort();

describe("collecting a mailbox into a Maildir with the JSON-file state (no database)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-maildir-json-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("collects everything once, then nothing, then only what is new; deletes after fetch only what the Maildir holds", async () => {
    const user = freshUser(dovecot, "mdj");
    const target = seedTarget(dovecot);
    const inbox = [...generateMessages({ count: 5, seed: 801 })];
    const archive = [...generateMessages({ count: 3, seed: 802 })];
    await seedMaildir(target, user.user, "INBOX", inbox);
    await seedMaildir(target, user.user, "Archive", archive);
    const statePath = join(dir, "state.json");
    const root = join(dir, "mail");
    const maildir = join(root, "me");
    const profile = profileFor(dovecot, user);
    const mailbox: MailboxRecord = { id: "me", address: profile.address, profile };
    /** One invocation of the program: the state read from its file, a new Maildir sink. */
    const run = async (record: MailboxRecord = mailbox) => {
      const maildirSink = createMaildirSink({ root, mailboxDir: () => "me" });
      return await syncMailbox(record, {
        state: await openJsonFileSyncState(statePath),
        sinks: [maildirSink],
        // routing rules that send everything to the Maildir: flag changes still reach it in later runs
        routing: { rules: [], default: [sinkName(maildirSink)] },
        connect: trustTest(dovecot),
        folderPolicy: ALL,
      });
    };

    const first = await run();
    expect(first).toMatchObject({ status: "ok", fetched: 8, deleted: 0 });
    expect(inMaildir(maildir)).toEqual(raws(inbox));
    expect(inMaildir(join(maildir, ".Archive"))).toEqual(raws(archive));
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(statePath, "utf8"));
    expect(saved.mailboxes.me.folders.INBOX).toMatchObject({ lastUid: 5 });
    expect(JSON.stringify(saved)).not.toContain(user.password);

    expect(await run()).toMatchObject({ status: "ok", fetched: 0, deleted: 0 });
    expect(inMaildir(maildir)).toHaveLength(5);

    const [fresh] = [...generateMessages({ count: 1, seed: 803 })];
    await seedMaildir(target, user.user, "INBOX", [fresh!]);
    await target.doveadm(["flags", "replace", "-u", user.user, "\\Flagged", "mailbox", "INBOX", "uid", "1"]);
    const third = await run();
    expect(third).toMatchObject({ status: "ok", fetched: 1, flagsChanged: 1 });
    expect(readdirSync(join(maildir, "cur")).filter((n) => n.endsWith(":2,F"))).toHaveLength(1);
    expect(third.folders.find((f) => f.path === "INBOX")).toMatchObject({ fetched: 1 });
    expect(inMaildir(maildir)).toEqual(raws([...inbox, fresh!]));
    expect(inMaildir(join(maildir, ".Archive"))).toEqual(raws(archive));

    // a folder the Maildir cannot take: a file stands where its directory would go (a real
    // filesystem error, whoever runs the test)
    const projects = [...generateMessages({ count: 2, seed: 804 })];
    await seedMaildir(target, user.user, "Projekte", projects);
    await writeFile(join(maildir, ".Projekte"), "in the way");
    const deleting = await run({ ...mailbox, deleteAfterFetch: true });
    expect(deleting.status).toBe("failed");
    expect(deleting.error?.code).toBe("SINK_FAILED");
    expect(deleting.folders.find((f) => f.path === "Projekte")).toMatchObject({ fetched: 0, deleted: 0 });
    // what the Maildir holds is deleted on the server; what it refused stays there
    expect(deleting.deleted).toBe(9);
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
    expect(await onServer(dovecot, user.user, "Archive")).toBe(0);
    expect(await onServer(dovecot, user.user, "Projekte")).toBe(2);

    await rm(join(maildir, ".Projekte"));
    await mkdir(join(maildir, ".Projekte"));
    const last = await run({ ...mailbox, deleteAfterFetch: true });
    expect(last).toMatchObject({ status: "ok", fetched: 2, deleted: 2 });
    expect(await onServer(dovecot, user.user, "Projekte")).toBe(0);
    expect(inMaildir(join(maildir, ".Projekte"))).toEqual(raws(projects));
    expect(inMaildir(maildir)).toEqual(raws([...inbox, fresh!]));
    expect(await run()).toMatchObject({ status: "ok", fetched: 0, deleted: 0 });
  });
  it("resumes after an interrupted run from the last chunk the file holds, with every message in the Maildir once", async () => {
    const user = freshUser(dovecot, "mdj");
    const messages = [...generateMessages({ count: 30, seed: 805 })];
    await seedMaildir(seedTarget(dovecot), user.user, "INBOX", messages);
    const statePath = join(dir, "resume.json");
    const root = join(dir, "resume");
    const profile = profileFor(dovecot, user);
    const mailbox: MailboxRecord = { id: "me", address: profile.address, profile, deleteAfterFetch: true };
    const options = async () => ({
      state: await openJsonFileSyncState(statePath),
      sinks: [createMaildirSink({ root, mailboxDir: () => "me" })],
      connect: trustTest(dovecot),
      folderPolicy: { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const,
      chunkMessages: 8,
    });
    const controller = new AbortController();
    const first = await syncMailbox(mailbox, {
      ...(await options()),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.fetched >= 8) controller.abort();
      },
    });
    expect(first).toMatchObject({ status: "ok", aborted: true });
    expect(first.fetched).toBeLessThan(30);
    // what the file holds is in the Maildir and gone from the server, nothing else
    expect(inMaildir(join(root, "me"))).toHaveLength(first.fetched);
    expect(first.deleted).toBe(first.fetched);
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(30 - first.fetched);
    const second = await syncMailbox(mailbox, await options());
    expect(second).toMatchObject({ status: "ok", fetched: 30 - first.fetched });
    expect(inMaildir(join(root, "me"))).toEqual(raws(messages));
    expect(await onServer(dovecot, user.user, "INBOX")).toBe(0);
  });
});
