import { isMailregError } from "@mailreg/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listAudit } from "./audit.ts";
import type { Store } from "./store.ts";
import { openMemoryStore } from "./testing.ts";
import { getOpenNow, listWindows, replaceWindows, setOpenNow } from "./windows.ts";

let store: Store;
beforeEach(async () => {
  store = await openMemoryStore();
});
afterEach(() => store.close());

describe("registration windows", () => {
  it("replaceWindows() stores the windows in UTC, earliest first, replacing the old ones, and audits it", async () => {
    await replaceWindows(store, [{ opensAt: "2026-12-01T08:00:00Z", closesAt: "2026-12-01T18:00:00Z" }], {
      actor: "admin",
    });
    await replaceWindows(
      store,
      [
        { opensAt: "2026-12-10T09:00:00+01:00", closesAt: "2026-12-10T17:00:00+01:00" },
        { opensAt: new Date("2026-12-05T08:00:00Z"), closesAt: new Date("2026-12-05T12:00:00Z") },
      ],
      { actor: "root" },
    );
    const windows = await listWindows(store);
    expect(windows.map((w) => [w.opensAt, w.closesAt, w.createdBy])).toEqual([
      ["2026-12-05T08:00:00.000Z", "2026-12-05T12:00:00.000Z", "root"],
      ["2026-12-10T08:00:00.000Z", "2026-12-10T16:00:00.000Z", "root"],
    ]);
    expect((await listAudit(store)).map((e) => [e.actor, e.action])).toEqual([
      ["admin", "registration-window.replace"],
      ["root", "registration-window.replace"],
    ]);
  });

  it("refuses a window that closes before it opens, or an unreadable time, and keeps the old windows", async () => {
    await replaceWindows(store, [{ opensAt: "2026-12-01T08:00:00Z", closesAt: "2026-12-01T18:00:00Z" }], {
      actor: "admin",
    });
    for (const window of [
      { opensAt: "2026-12-02T08:00:00Z", closesAt: "2026-12-02T07:00:00Z" },
      { opensAt: "tomorrow", closesAt: "2026-12-02T07:00:00Z" },
      { opensAt: "2026-12-02T08:00:00", closesAt: "2026-12-02T09:00:00Z" },
    ]) {
      const error = await replaceWindows(store, [window], { actor: "admin" }).catch((e: unknown) => e);
      expect(isMailregError(error, "VALIDATION")).toBe(true);
    }
    expect(await listWindows(store)).toHaveLength(1);
  });

  it("the open-now switch is off until set, and each change is audited", async () => {
    expect(await getOpenNow(store)).toBe(false);
    await setOpenNow(store, true, { actor: "admin" });
    expect(await getOpenNow(store)).toBe(true);
    await setOpenNow(store, false, { actor: "admin" });
    expect(await getOpenNow(store)).toBe(false);
    expect((await listAudit(store)).map((e) => e.action)).toEqual([
      "registration-window.open",
      "registration-window.close",
    ]);
  });
});
