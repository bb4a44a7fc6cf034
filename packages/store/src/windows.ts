/**
 * Registration windows set by an administrator: scheduled windows, and an "open now" switch.
 * Whether registration is open at a given moment (these, plus the config's windows) is the app's call.
 *
 * @module
 */
import { MailregError, newId } from "@mailreg/core";
import { appendAudit } from "./audit.ts";
import { registrationWindows } from "./schema.ts";
import { getSetting, setSetting } from "./settings.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** A scheduled window as stored (times as ISO-8601 UTC). */
export type RegistrationWindow = typeof registrationWindows.$inferSelect;

/** The settings key of the "open now" switch. */
export const OPEN_NOW_SETTING = "registration.openNow";

/**
 * The scheduled windows, earliest first.
 *
 * @param store the open store
 * @returns every window
 */
export async function listWindows(store: Store): Promise<RegistrationWindow[]> {
  return await store.db.select().from(registrationWindows).orderBy(registrationWindows.opensAt).all();
}

/**
 * Replaces all scheduled windows with `windows` (an empty list removes them all) and records it in
 * the audit log, in one transaction.
 *
 * @param store the open store
 * @param windows each with an opening and closing time (a Date or an ISO-8601 string with offset)
 * @param by who, and when (default now)
 * @returns the stored windows, earliest first
 * @throws {MailregError} VALIDATION for an unreadable time or a window that closes before it opens
 * @example
 * ```ts
 * import { openStore, replaceWindows } from "@mailreg/store";
 * const store = await openStore({ url: "file::memory:" });
 * await replaceWindows(store, [{ opensAt: "2026-12-01T08:00:00Z", closesAt: "2026-12-01T18:00:00Z" }], { actor: "admin" });
 * store.close();
 * ```
 */
export async function replaceWindows(
  store: Store,
  windows: ReadonlyArray<{ opensAt: Date | string; closesAt: Date | string }>,
  by: { actor: string; now?: Date },
): Promise<RegistrationWindow[]> {
  const now = by.now ?? new Date();
  const createdAt = now.toISOString();
  const rows = windows.map((window, index) => {
    const opensAt = _instant(window.opensAt, index, "opensAt");
    const closesAt = _instant(window.closesAt, index, "closesAt");
    if (closesAt <= opensAt) {
      throw new MailregError("VALIDATION", `Window ${index + 1} closes before it opens`, {
        details: { index, fields: ["closesAt"] },
      });
    }
    return { id: newId(), opensAt, closesAt, createdBy: by.actor, createdAt };
  });
  rows.sort((a, b) => a.opensAt.localeCompare(b.opensAt));
  await writeTransaction(store, async (tx) => {
    await tx.delete(registrationWindows).run();
    if (rows.length > 0) await tx.insert(registrationWindows).values(rows).run();
    await appendAudit(tx, {
      actor: by.actor,
      action: "registration-window.replace",
      subjectType: "registration-window",
      details: { windows: rows.map(({ opensAt, closesAt }) => ({ opensAt, closesAt })) },
      at: now,
    });
  });
  return rows;
}

/**
 * Whether an administrator has opened registration now (regardless of scheduled windows).
 *
 * @param store the open store
 * @returns the switch's state (false when never set)
 */
export async function getOpenNow(store: Store): Promise<boolean> {
  return (await getSetting(store, OPEN_NOW_SETTING)) === true;
}

/**
 * Opens or closes registration now, and records it in the audit log, in one transaction.
 *
 * @param store the open store
 * @param open true to open, false to close
 * @param by who, and when (default now)
 */
export async function setOpenNow(
  store: Store,
  open: boolean,
  by: { actor: string; now?: Date },
): Promise<void> {
  const now = by.now ?? new Date();
  await writeTransaction(store, async (tx) => {
    await setSetting(tx, OPEN_NOW_SETTING, open, now);
    await appendAudit(tx, {
      actor: by.actor,
      action: open ? "registration-window.open" : "registration-window.close",
      subjectType: "registration-window",
      details: { open },
      at: now,
    });
  });
}

function _instant(value: Date | string, index: number, field: string): string {
  const ok =
    value instanceof Date || /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value);
  const time = ok ? new Date(value).getTime() : Number.NaN;
  if (Number.isNaN(time)) {
    throw new MailregError(
      "VALIDATION",
      `Window ${index + 1} has no valid ${field} (an ISO-8601 time with offset)`,
      {
        details: { index, fields: [field] },
      },
    );
  }
  return new Date(time).toISOString();
}
