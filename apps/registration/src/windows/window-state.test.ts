import { describe, expect, it } from "vitest";
import { computeWindowState } from "./window-state.ts";

const windows = [
  { from: "2026-12-03T08:00:00Z", until: "2026-12-03T18:00:00Z" },
  { from: "2026-12-01T08:00:00Z", until: "2026-12-01T18:00:00Z" },
];
const at = (iso: string) => new Date(iso);

describe("computeWindowState()", () => {
  it("is open inside a scheduled window and names the next one outside", () => {
    const inside = computeWindowState({
      enabled: true,
      mode: "scheduled",
      windows,
      now: at("2026-12-01T12:00:00Z"),
    });
    expect(inside).toMatchObject({ open: true, nextOpen: "2026-12-03T08:00:00.000Z" });
    expect(inside.windows.map((w) => w.from)).toEqual([
      "2026-12-01T08:00:00.000Z",
      "2026-12-03T08:00:00.000Z",
    ]);
    const between = computeWindowState({
      enabled: true,
      mode: "scheduled",
      windows,
      now: at("2026-12-02T12:00:00Z"),
    });
    expect(between).toMatchObject({ open: false, nextOpen: "2026-12-03T08:00:00.000Z" });
  });

  it("closes at the window's end (until is exclusive) and has no next after the last", () => {
    const state = computeWindowState({
      enabled: true,
      mode: "scheduled",
      windows,
      now: at("2026-12-03T18:00:00Z"),
    });
    expect(state).toMatchObject({ open: false, nextOpen: null });
  });

  it("follows a hand-made mode regardless of the schedule", () => {
    const now = at("2026-12-01T12:00:00Z");
    expect(computeWindowState({ enabled: true, mode: "closed", windows, now })).toMatchObject({
      open: false,
      nextOpen: null,
    });
    expect(computeWindowState({ enabled: true, mode: "open", windows: [], now })).toMatchObject({
      open: true,
      nextOpen: null,
    });
  });

  it("is never open while the config switches registration off", () => {
    const state = computeWindowState({
      enabled: false,
      mode: "open",
      windows,
      now: at("2026-12-01T12:00:00Z"),
    });
    expect(state).toMatchObject({ open: false, enabled: false, nextOpen: null });
  });
});
