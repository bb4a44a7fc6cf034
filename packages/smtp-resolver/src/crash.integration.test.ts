import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSmtpSink } from "@mailreg/mailservers";
import { countOutbox } from "@mailreg/store";
import { expect, it } from "vitest";
import { mailboxStore } from "../test/fixtures.ts";
import { enqueue } from "./outbox.ts";

const CHILD = new URL("../test/deliver-child.ts", import.meta.url).pathname;

function startDeliverer(
  url: string,
  port: number,
  leaseMs: number,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", CHILD, url, String(port), String(leaseMs)],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
}

it("a deliverer killed mid-queue (SIGKILL) and started again delivers every queued message exactly once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "smtp-crash-"));
  const url = `file:${join(dir, "db.sqlite")}`;
  const count = 40;
  const victim = 17; // the deliverer dies while this message's DATA is with the server
  let deliverer: ChildProcess | undefined;
  let killed = false;
  // Killed after the whole DATA of a message arrived but before the server answers it: the
  // deliverer has recorded every earlier 250 by then (each took several round trips ago), and this
  // message was never accepted, so the next deliverer must send it (and nothing else) again.
  const sink = await startSmtpSink({
    failWith: (event) => {
      if (event.stage !== "data" || killed || event.address !== `r${victim}@example.org`) return undefined;
      killed = deliverer?.kill("SIGKILL") ?? false;
      return { code: 421, message: "4.4.2 Connection dropped" };
    },
  });
  const { store, mailbox } = await mailboxStore({ url, address: "ann@example.org" });
  try {
    const queued = new Set<string>();
    for (let i = 0; i < count; i++) {
      queued.add(
        (
          await enqueue(store, {
            mailboxId: mailbox.id,
            message: { to: `r${i}@example.org`, text: `message ${i}` },
          })
        ).messageId,
      );
    }

    const first = startDeliverer(url, sink.port, 1500);
    deliverer = first.child;
    expect(await first.exited).toBe(null); // killed by the signal
    expect(killed).toBe(true);
    const before = await countOutbox(store);
    expect(before.sent).toBe(victim);
    expect(before.sending).toBeGreaterThan(0); // claims the dead deliverer left behind

    const second = startDeliverer(url, sink.port, 1500);
    deliverer = second.child;
    expect(await second.exited).toBe(0);

    const ids = sink.messages.map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim());
    expect(ids).toHaveLength(count);
    expect(new Set(ids)).toEqual(queued);
    expect(await countOutbox(store)).toEqual({ queued: 0, sending: 0, sent: count, failed: 0 });
  } finally {
    deliverer?.kill("SIGKILL");
    store.close();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
