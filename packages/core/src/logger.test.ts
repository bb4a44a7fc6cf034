import { describe, expect, it } from "vitest";
import { jsonLogger } from "./logger.ts";

describe("jsonLogger()", () => {
  it("writes one JSON object per entry with the time, the level, the message and the fields", () => {
    const lines: string[] = [];
    const at = new Date("2026-11-25T12:00:00.000Z");
    const log = jsonLogger(
      (line) => lines.push(line),
      () => at,
    );
    log.info("sync", { mailboxId: "m1", fetched: 3, aborted: false });
    log.warn("lost the lease", { mailboxId: "m1" });
    log.error("run failed");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: at.toISOString(), level: "info", msg: "sync", mailboxId: "m1", fetched: 3, aborted: false },
      { time: at.toISOString(), level: "warn", msg: "lost the lease", mailboxId: "m1" },
      { time: at.toISOString(), level: "error", msg: "run failed" },
    ]);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
  });

  it("keeps a field's line break inside the JSON string, so one entry stays one line", () => {
    const lines: string[] = [];
    jsonLogger((line) => lines.push(line)).warn("server said", { error: "line one\r\nline two" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\r\n]/);
    expect(JSON.parse(lines[0]!).error).toBe("line one\r\nline two");
  });
});
