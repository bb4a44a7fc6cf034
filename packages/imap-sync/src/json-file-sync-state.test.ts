import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash } from "./content-hash.ts";
import { parseEnvelope } from "./envelope.ts";
import { openJsonFileSyncState } from "./json-file-sync-state.ts";
import type { PreparedMessage } from "./ports.ts";

const raw = new TextEncoder().encode("Message-ID: <a@example.org>\r\nSubject: a\r\n\r\nbody");
const key = { mailboxId: "me", folder: "INBOX", uidValidity: 5, uid: 1 };
const message: PreparedMessage = {
  id: "msg-1",
  key,
  raw,
  size: raw.length,
  flags: ["\\Seen"],
  envelope: parseEnvelope(raw),
  delimiter: "/",
  contentHash: contentHash(raw),
};
const checkpoint = {
  mailboxId: "me",
  folder: "INBOX",
  delimiter: "/",
  specialUse: null,
  state: { uidValidity: 5, lastUid: 1 },
};

describe("openJsonFileSyncState()", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailreg-json-state-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes each commit to its file (mode 0600, no temporary file left), and a new process reads it back", async () => {
    const path = join(dir, "a.json");
    const state = await openJsonFileSyncState(path);
    expect(await state.folderStates("me")).toEqual([]);
    // no ledger: it would forget between runs what each sink got
    expect(state.ledger).toBeUndefined();
    const journal = state.openJournal("me");
    await journal.commit(await journal.plan([message], []), { folderState: checkpoint });
    await journal.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.startsWith("a.json"))).toEqual(["a.json"]);
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain("body"); // keys only: the raw source is the sinks' to keep
    expect(JSON.parse(text)).toMatchObject({ format: "mailreg-sync-state", version: 1 });

    const reopened = await openJsonFileSyncState(path);
    expect(await reopened.folderStates("me")).toEqual([
      { folder: "INBOX", state: { uidValidity: 5, lastUid: 1 } },
    ]);
    const plan = await reopened.openJournal("me").plan([{ ...message, id: "msg-1b" }], []);
    expect(plan).toMatchObject({ inserts: [], unchanged: 1 });
  });

  it("records finished runs in the file", async () => {
    const path = join(dir, "runs.json");
    const state = await openJsonFileSyncState(path);
    const run = await state.startRun("me");
    await state.finishRun(run, { status: "failed", fetched: 0, deleted: 0, errorCode: "MAIL_AUTH_FAILED" });
    expect((await openJsonFileSyncState(path)).runs("me")).toMatchObject([
      { id: run, status: "failed", errorCode: "MAIL_AUTH_FAILED" },
    ]);
  });

  it("refuses a file that is not a sync state with SYNC_STATE_INVALID, and leaves it alone", async () => {
    const notJson = join(dir, "not-json.json");
    writeFileSync(notJson, "{ half");
    await expect(openJsonFileSyncState(notJson)).rejects.toMatchObject({ code: "SYNC_STATE_INVALID" });
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ format: "something-else", version: 1, mailboxes: {} }));
    await expect(openJsonFileSyncState(other)).rejects.toMatchObject({ code: "SYNC_STATE_INVALID" });
    expect(readFileSync(notJson, "utf8")).toBe("{ half");
  });

  it("fails the commit, and every later one, when the file cannot be written; the last good file stays whole", async () => {
    const sub = join(dir, "moved");
    mkdirSync(sub);
    const path = join(sub, "state.json");
    const state = await openJsonFileSyncState(path);
    const journal = state.openJournal("me");
    await journal.commit(await journal.plan([message], []), { folderState: checkpoint });
    const good = readFileSync(path, "utf8");
    // the folder is moved away and a file stands in its place: a real write error, also for root
    renameSync(sub, `${sub}-away`);
    writeFileSync(sub, "not a folder");
    const second = { ...message, id: "msg-2", key: { ...key, uid: 2 } };
    const next = { ...checkpoint, state: { uidValidity: 5, lastUid: 2 } };
    await expect(
      journal.commit(await journal.plan([second], []), { folderState: next }),
    ).rejects.toMatchObject({
      code: "ENOTDIR",
    });
    await expect(
      journal.commit(await journal.plan([second], []), { folderState: next }),
    ).rejects.toMatchObject({
      code: "ENOTDIR",
    });
    expect(readFileSync(join(`${sub}-away`, "state.json"), "utf8")).toBe(good);
  });
});
