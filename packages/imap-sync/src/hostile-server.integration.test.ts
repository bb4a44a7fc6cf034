import {
  HOSTILE_MESSAGES,
  type HostileBehavior,
  type HostileImap,
  startHostileImap,
} from "@mailreg/mailservers";
import { afterEach, describe, expect, it } from "vitest";
import { storedByFolder, testWorld } from "./_test-servers.ts";
import { IMAP_MAX_LINE_BYTES } from "./imap-connect.ts";
import { type SyncSummary, syncMailbox } from "./sync-mailbox.ts";

const INBOX_ONLY = { mode: "inbox", folders: [], includeSubfolders: true, exclude: [] } as const;
const MAIL_CODES = ["MAIL_PROTOCOL", "MAIL_CONNECTION_FAILED", "MAIL_TLS_FAILED", "MAIL_AUTH_FAILED"];
/** The per-answer budget given to the client: a silent server is given up on after 6 × this. */
const TIMEOUT_MS = 500;
/** No hostile server may hold a run longer than this. */
const RUN_LIMIT_MS = 10_000;
/** Growth of the process's RSS a hostile server may cause (the line cap is 32 MiB). */
const RSS_LIMIT = 160 * 1024 * 1024;

let servers: HostileImap[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

/** One sync of a mailbox on a hostile server, timed, with the peak RSS growth sampled during it. */
async function syncAgainst(behavior: HostileBehavior, options: { deleteAfterFetch?: boolean } = {}) {
  const server = await startHostileImap(behavior);
  servers.push(server);
  const world = await testWorld();
  const mailbox = await world.addMailbox(
    {
      v: 1,
      address: "owner@imap.test",
      protocol: "imap",
      host: server.host,
      port: server.port,
      security: "none",
      login: "owner",
      auth: { method: "password", password: "hostile-pw-5531" },
    },
    options,
  );
  const run = async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = performance.now();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    try {
      const summary = await Promise.race([
        syncMailbox(mailbox, {
          state: world.state,
          keyring: world.keyring,
          connect: { timeoutMs: TIMEOUT_MS },
          folderPolicy: INBOX_ONLY,
        }),
        new Promise<never>((_, reject) => {
          watchdog = setTimeout(
            () => reject(new Error(`${behavior}: no result in ${RUN_LIMIT_MS} ms`)),
            RUN_LIMIT_MS,
          );
        }),
      ]);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { summary, ms: performance.now() - started, rssGrowth: peak - before };
    } finally {
      clearInterval(sampler);
      clearTimeout(watchdog);
    }
  };
  return { server, world, mailbox, run };
}

function expectTypedFailure(summary: SyncSummary): void {
  expect(summary.status).toBe("failed");
  expect(MAIL_CODES).toContain(summary.error?.code);
  expect(summary.error?.message).not.toContain("hostile-pw-5531");
}

const figures: string[] = [];

describe("syncMailbox() against a hostile IMAP server", () => {
  it("collects both messages from the same server when it behaves (the control)", async () => {
    const { world, mailbox, run } = await syncAgainst("honest");
    const { summary } = await run();
    expect(summary).toMatchObject({ status: "ok", fetched: 2 });
    expect(world.state.messages(mailbox.id)).toHaveLength(2);
  });

  it.each([
    ["garbage-greeting", "a garbage greeting"],
    ["malformed", "malformed answers to LIST"],
    ["endless-line", "a response line that never ends"],
    ["huge-literal", "a literal of 999,999,999 bytes"],
    ["silent", "a server that never says a word"],
    ["silent-after-login", "a server that stops answering after the login"],
  ] as const)(
    "fails the mailbox with a typed error, in bounded time and memory, on %s (%s), storing nothing",
    async (behavior, _what) => {
      const { world, mailbox, server, run } = await syncAgainst(behavior);
      const { summary, ms, rssGrowth } = await run();
      figures.push(
        `${behavior}: ${summary.error?.code} (${summary.error?.message}) after ${Math.round(ms)} ms, RSS +${(rssGrowth / 2 ** 20).toFixed(1)} MiB, server sent ${(server.bytesSent() / 2 ** 20).toFixed(1)} MiB`,
      );
      expectTypedFailure(summary);
      // a server that answers nonsense is reported as such, not as one that cannot be reached (an
      // endless line may also run out the login budget first: imapflow lists folders while connecting)
      if (["malformed", "huge-literal"].includes(behavior)) expect(summary.error?.code).toBe("MAIL_PROTOCOL");
      expect(ms).toBeLessThan(RUN_LIMIT_MS);
      expect(rssGrowth).toBeLessThan(RSS_LIMIT);
      expect(world.state.messages(mailbox.id)).toHaveLength(0);
      if (behavior === "endless-line") expect(server.bytesSent()).toBeGreaterThan(IMAP_MAX_LINE_BYTES / 2);
    },
  );

  it("stores each message once when UIDVALIDITY changes between SELECT and FETCH, and on the next run", async () => {
    const { world, mailbox, run } = await syncAgainst("uidvalidity-change");
    const first = await run();
    const second = await run();
    figures.push(
      `uidvalidity-change: runs ${first.summary.status}/${second.summary.status}, fetched ${first.summary.fetched}+${second.summary.fetched}, rekeyed ${second.summary.rekeyed}`,
    );
    for (const { summary } of [first, second]) expect(["ok", "failed"]).toContain(summary.status);
    const stored = storedByFolder(world.state, mailbox.id).get("INBOX") ?? [];
    expect(stored).toEqual(HOSTILE_MESSAGES.map((m) => m.messageId));
  });

  it("prints what each hostile server cost", () => {
    console.log(`hostile IMAP servers: ${figures.length} tried\n  ${figures.join("\n  ")}`);
    expect(figures.length).toBeGreaterThan(0);
  });
});
