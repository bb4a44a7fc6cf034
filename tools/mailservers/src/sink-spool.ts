/**
 * Reading an SMTP sink's spool directory from another process: the global test setup's sink runs in
 * vitest's main process, tests run in workers and find its messages here.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MailregError } from "@mailreg/core";
import type { SinkMessage } from "./smtp-sink.ts";

/**
 * The messages spooled so far, oldest first.
 *
 * @param dir the sink's `spoolDir`
 * @returns the messages
 */
export function readSpool(dir: string): SinkMessage[] {
  return readdirSync(dir)
    .filter((name) => /^\d+\.json$/.test(name))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as SinkMessage);
}

/**
 * Waits until at least `count` spooled messages match `filter` (test workers share the global sink,
 * so filter by a recipient of your own).
 *
 * @param dir the sink's `spoolDir`
 * @param filter which messages count
 * @param options how many and how long (default 1 message, 5 s)
 * @returns the matching messages
 * @example
 * ```ts
 * const [m] = await waitForSpool(inject("mailservers").smtpSink.spoolDir, (m) => m.rcptTo.includes(to));
 * ```
 */
export async function waitForSpool(
  dir: string,
  filter: (message: SinkMessage) => boolean,
  options: { count?: number; timeoutMs?: number } = {},
): Promise<SinkMessage[]> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const found = readSpool(dir).filter(filter);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      throw new MailregError(
        "INTERNAL",
        `The SMTP sink spooled ${found.length} of ${count} matching messages in time`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
